-- One row per (day, workspace) with any day-granularity metric: the three curated tables' day windows side by side.
-- Notification fan-out is added up over trigger types (a trigger event has one type, so trigger counts add up) and
-- the average recomputed from the sums, never averaged.
with editors as (
    select cast(window_start as date) as day, workspace_gid, active_editors
    from {{ ref('stg_collab__active_editors') }}
    where granularity = 'day'
),

tasks as (
    select cast(window_start as date) as day, workspace_gid, task_updates, tasks_touched, tasks_completed
    from {{ ref('stg_collab__task_update_velocity') }}
    where granularity = 'day'
),

notifications as (
    select
        cast(window_start as date) as day,
        workspace_gid,
        cast(sum(trigger_events) as bigint) as trigger_events,
        cast(sum(notifications) as bigint) as notifications
    from {{ ref('stg_collab__notification_fanout') }}
    where granularity = 'day'
    group by 1, 2
),

keys as (
    select day, workspace_gid from editors
    union
    select day, workspace_gid from tasks
    union
    select day, workspace_gid from notifications
)

select
    k.day,
    k.workspace_gid,
    coalesce(e.active_editors, 0) as active_editors,
    coalesce(t.task_updates, 0) as task_updates,
    coalesce(t.tasks_touched, 0) as tasks_touched,
    coalesce(t.tasks_completed, 0) as tasks_completed,
    coalesce(n.trigger_events, 0) as trigger_events,
    coalesce(n.notifications, 0) as notifications
from keys as k
left join editors as e on e.day = k.day and e.workspace_gid = k.workspace_gid
left join tasks as t on t.day = k.day and t.workspace_gid = k.workspace_gid
left join notifications as n on n.day = k.day and n.workspace_gid = k.workspace_gid

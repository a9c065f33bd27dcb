{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['day', 'workspace_gid'],
    on_schema_change='append_new_columns',
    pre_hook="{{ collab_delete_rebuild_window('day', horizon_days=7) }}"
  )
}}
-- depends_on: {{ ref('stg_collab__pipeline_generations') }}
-- depends_on: {{ ref('stg_collab__active_editors') }}
-- depends_on: {{ ref('stg_collab__task_update_velocity') }}
-- depends_on: {{ ref('stg_collab__notification_fanout') }}
{#- A changed day moves the 7-day sums of the 6 days after it and the week-over-week change 7 days after it. -#}
{%- set window = collab_rebuild_window(horizon_days=7) %}
{%- set days = window['days'] %}

with metrics as (
    select * from {{ ref('int_workspace_day_metrics_joined') }}
    {% if days is not none and days | length > 0 %}
    -- the rebuild window and the 7 days before it, which its rolling sums read
    where day between cast('{{ days | first }}' as date) - 7 and cast('{{ days | last }}' as date)
    {% endif %}
),

first_days as (
    select workspace_gid, min(day) as first_day from {{ ref('int_workspace_day_metrics_joined') }} group by 1
),

rolled as (
    -- A self-join rather than a RANGE frame, so days without activity count as zero on every adapter.
    select
        cur.day,
        cur.workspace_gid,
        cast(sum(win.active_editors) as bigint) as active_editors_7d_sum,
        cast(sum(win.task_updates) as bigint) as task_updates_7d,
        cast(sum(win.tasks_completed) as bigint) as tasks_completed_7d,
        cast(sum(win.notifications) as bigint) as notifications_7d,
        cast(sum(win.trigger_events) as bigint) as trigger_events_7d
    from metrics as cur
    inner join metrics as win
        on win.workspace_gid = cur.workspace_gid
        and win.day between cur.day - 6 and cur.day
    group by 1, 2
)

select
    cur.day,
    cur.workspace_gid,
    cur.active_editors,
    cur.task_updates,
    cur.tasks_touched,
    cur.tasks_completed,
    cur.notifications,
    case when cur.trigger_events > 0
        then cast(cur.notifications as double precision) / cur.trigger_events end as fanout_avg,
    cast(r.active_editors_7d_sum as double precision) / 7 as active_editors_7d_avg,
    r.task_updates_7d,
    r.tasks_completed_7d,
    r.notifications_7d,
    case when r.trigger_events_7d > 0
        then cast(r.notifications_7d as double precision) / r.trigger_events_7d end as fanout_avg_7d,
    -- Week over week: the same weekday a week earlier; a workspace with no activity then counts as 0, unless that
    -- day is before the workspace's first day in the data (then there is nothing to compare with: null).
    case when cur.day - 7 >= f.first_day then cur.active_editors - coalesce(prev.active_editors, 0) end
        as active_editors_wow_change,
    case when cur.day - 7 >= f.first_day then cur.task_updates - coalesce(prev.task_updates, 0) end
        as task_updates_wow_change,
    case when cur.day - 7 >= f.first_day then cur.tasks_completed - coalesce(prev.tasks_completed, 0) end
        as tasks_completed_wow_change,
    case when cur.day - 7 >= f.first_day then cur.notifications - coalesce(prev.notifications, 0) end
        as notifications_wow_change,
    {{ window['through'] }} as source_generations_through
from metrics as cur
inner join rolled as r on r.day = cur.day and r.workspace_gid = cur.workspace_gid
inner join first_days as f on f.workspace_gid = cur.workspace_gid
left join metrics as prev on prev.workspace_gid = cur.workspace_gid and prev.day = cur.day - 7
where {{ collab_in_days('cur.day', days) }}

select
    cast(window_start as timestamp) as window_start,
    cast(window_end as timestamp) as window_end,
    granularity,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(trigger_event_type as varchar) as trigger_event_type,
    cast(trigger_events as bigint) as trigger_events,
    cast(notifications as bigint) as notifications,
    cast(fanout_max as bigint) as fanout_max,
    cast(generation as bigint) as generation
from {{ source('collab', 'notification_fanout') }}

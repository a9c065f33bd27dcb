select
    cast(window_start as timestamp) as window_start,
    cast(window_end as timestamp) as window_end,
    granularity,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(task_updates as bigint) as task_updates,
    cast(tasks_touched as bigint) as tasks_touched,
    cast(tasks_completed as bigint) as tasks_completed,
    cast(generation as bigint) as generation
from {{ source('collab', 'task_update_velocity') }}

select
    cast(window_start as timestamp) as window_start,
    cast(window_end as timestamp) as window_end,
    granularity,
    cast(workspace_gid as varchar) as workspace_gid,
    cast(active_editors as bigint) as active_editors,
    cast(generation as bigint) as generation
from {{ source('collab', 'active_editors') }}

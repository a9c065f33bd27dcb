select
    cast(window_start as timestamp) as window_start,
    granularity,
    stage,
    cast(events as bigint) as events,
    cast(generation as bigint) as generation
from {{ source('collab', 'pipeline_completeness') }}

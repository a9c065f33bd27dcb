select
    cast(generation as bigint) as generation,
    kind,
    cast(range_from as date) as range_from,
    cast(range_to as date) as range_to,
    status,
    cast(started_at as timestamp) as started_at,
    cast(finished_at as timestamp) as finished_at
from {{ source('collab', 'pipeline_generations') }}

{{ config(enabled=collab_raw_store_enabled()) }}
-- One row per copy of an event in the raw store (several writers may hold copies: deduplicated downstream), without
-- the freshness probe's canaries (workspace 0, io.collabpipeline.pipelines.canary.Canaries): not product events.
select
    event_id,
    event_type,
    cast(schema_version as integer) as schema_version,
    {{ collab_utc_timestamp('occurred_at') }} as occurred_at,
    {{ collab_utc_timestamp('received_at') }} as received_at,
    workspace_gid,
    actor_id,
    resource_type,
    resource_gid,
    task_gid,
    payload_json,
    cast(dt as date) as event_date
from {{ source('raw', 'events') }}
where workspace_gid <> '0'

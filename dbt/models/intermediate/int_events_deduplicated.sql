{{ config(enabled=collab_raw_store_enabled()) }}
-- One row per event id. The raw store is append-only and several writers may hold a copy of an event (a restarted
-- job, a quarantine replay): keep the earliest arrival, as the pipeline's own dedup does.
with ranked as (
    select
        *,
        row_number() over (partition by event_id order by received_at, occurred_at) as copy_rank
    from {{ ref('stg_raw__events') }}
)

select
    event_id, event_type, schema_version, occurred_at, received_at, workspace_gid, actor_id,
    resource_type, resource_gid, task_gid, payload_json, event_date
from ranked
where copy_rank = 1

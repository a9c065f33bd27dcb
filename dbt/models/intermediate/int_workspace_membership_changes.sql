{{ config(enabled=collab_raw_store_enabled()) }}
-- workspace.user_joined|left as membership changes of (workspace, user). user_id is the pseudonym the pipeline put
-- in payload.user_gid (the user who joined or left, not necessarily the actor).
-- Erased users are left out (macros/erasure.sql).
with changes as (
    select
        event_id,
        workspace_gid,
        {{ collab_json_text('payload_json', 'user_gid') }} as user_id,
        event_type = 'workspace.user_joined' as is_member,
        occurred_at
    from {{ ref('int_events_deduplicated') }}
    where event_type in ('workspace.user_joined', 'workspace.user_left')
)

select *
from changes
where {{ collab_not_erased('user_id') }}

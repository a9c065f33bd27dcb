{{ config(enabled=collab_raw_store_enabled()) }}
-- project.member_added|removed as membership changes of (project, user); role is what the event carried (a removal
-- keeps the role the member had, if the event says).
-- Erased users are left out (macros/erasure.sql).
with changes as (
    select
        event_id,
        workspace_gid,
        {{ collab_json_text('payload_json', 'project_gid') }} as project_gid,
        {{ collab_json_text('payload_json', 'member_user_gid') }} as user_id,
        {{ collab_json_text('payload_json', 'role') }} as role,
        event_type = 'project.member_added' as is_member,
        occurred_at
    from {{ ref('int_events_deduplicated') }}
    where event_type in ('project.member_added', 'project.member_removed')
)

select *
from changes
where {{ collab_not_erased('user_id') }}

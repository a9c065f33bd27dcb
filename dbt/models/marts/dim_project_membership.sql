{{ config(enabled=collab_raw_store_enabled()) }}
-- Type-2 slowly changing dimension of project membership: one row per state (member or not, and role) of
-- (project, user); a member_added with another role while a member opens a new version with the new role.
with changes as (
    select
        *,
        lag(is_member) over (partition by project_gid, user_id order by occurred_at, event_id) as previous_is_member,
        lag(role) over (partition by project_gid, user_id order by occurred_at, event_id) as previous_role
    from {{ ref('int_project_membership_changes') }}
),

versions as (
    select
        project_gid, workspace_gid, user_id, is_member,
        case when is_member then role end as role,
        occurred_at as valid_from,
        event_id as opened_by_event_id
    from changes
    where previous_is_member is null
        or previous_is_member <> is_member
        or (is_member and previous_role <> role)
)

select
    {{ dbt.hash(dbt.concat(["project_gid", "'|'", "user_id", "'|'", "opened_by_event_id"])) }} as membership_version_key,
    project_gid,
    workspace_gid,
    user_id,
    is_member,
    role,
    valid_from,
    lead(valid_from) over (partition by project_gid, user_id order by valid_from, opened_by_event_id) as valid_to,
    lead(valid_from) over (partition by project_gid, user_id order by valid_from, opened_by_event_id) is null as is_current,
    opened_by_event_id
from versions

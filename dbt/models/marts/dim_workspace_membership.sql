{{ config(enabled=collab_raw_store_enabled()) }}
-- Type-2 slowly changing dimension of workspace membership: one row per state of (workspace, user), valid from the
-- event that entered it until the next change (valid_to null and is_current true for the state now). Repeated events
-- that do not change the state (a second join) do not open a new version. Built from the raw store's history, so it
-- reaches back as far as the raw retention (180 days).
with changes as (
    select
        *,
        lag(is_member) over (partition by workspace_gid, user_id order by occurred_at, event_id) as previous_is_member
    from {{ ref('int_workspace_membership_changes') }}
),

versions as (
    select workspace_gid, user_id, is_member, occurred_at as valid_from, event_id as opened_by_event_id
    from changes
    where previous_is_member is null or previous_is_member <> is_member
)

select
    {{ dbt.hash(dbt.concat(["workspace_gid", "'|'", "user_id", "'|'", "opened_by_event_id"])) }} as membership_version_key,
    workspace_gid,
    user_id,
    is_member,
    valid_from,
    lead(valid_from) over (partition by workspace_gid, user_id order by valid_from, opened_by_event_id) as valid_to,
    lead(valid_from) over (partition by workspace_gid, user_id order by valid_from, opened_by_event_id) is null as is_current,
    opened_by_event_id
from versions

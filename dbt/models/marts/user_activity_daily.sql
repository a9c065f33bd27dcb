{{ config(enabled=collab_raw_store_enabled()) }}
-- User-level activity per day (event date, UTC) and workspace: the drill-down behind active editors and retention.
-- edits = editor events the user made (sum over users of a day = editor events; the user is counted in
-- active_editors on that day iff edits > 0), comments = comment.added by the user, mentions_received = times the
-- user was @-mentioned in a comment.added, notifications_received = notification.sent to the user. Users are
-- pseudonyms; a user with no activity on a day has no row. Rebuilt from the raw store's history on every build
-- (a table, so a user gone from the raw store's linkable ids is gone from it after the next build).
select
    day,
    workspace_gid,
    user_id,
    cast(sum(case when measure = 'edit' then 1 else 0 end) as bigint) as edits,
    cast(sum(case when measure = 'comment' then 1 else 0 end) as bigint) as comments,
    cast(sum(case when measure = 'mention_received' then 1 else 0 end) as bigint) as mentions_received,
    cast(sum(case when measure = 'notification_received' then 1 else 0 end) as bigint) as notifications_received
from {{ ref('int_user_activity') }}
group by day, workspace_gid, user_id

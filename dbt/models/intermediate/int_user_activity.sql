{{ config(enabled=collab_raw_store_enabled()) }}
-- One row per (event, user, measure) of the user-level activity: the actor of an editor event (edit; the brief's
-- definition of an editor), the actor of a comment.added (comment), each user mentioned in a comment.added
-- (mention_received), the recipient of a notification.sent (notification_received). user_id is always the
-- pipeline's pseudonym (actor_id, or the pseudonymized ids of the payload). Canaries are out already (staging).
-- Erased users are left out here, the earliest model with the user column (macros/erasure.sql): only their own
-- rows go; another user's mention or notification from an erased user stays that user's row.
with measures as (
    select event_date as day, workspace_gid, actor_id as user_id, 'edit' as measure
    from {{ ref('int_events_deduplicated') }}
    where event_type in ('task.created', 'task.updated', 'task.completed', 'comment.added', 'comment.edited',
                         'project.member_added', 'project.member_removed')

    union all

    select event_date, workspace_gid, actor_id, 'comment'
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'comment.added'

    union all

    select event_date, workspace_gid, {{ collab_json_array_element('payload_json', 'mentioned_user_gids') }}, 'mention_received'
    from {{ ref('int_events_deduplicated') }} {{ collab_json_array_join('payload_json', 'mentioned_user_gids') }}
    where event_type = 'comment.added'

    union all

    select event_date, workspace_gid, {{ collab_json_text('payload_json', 'recipient_user_gid') }}, 'notification_received'
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'notification.sent'
)

select day, workspace_gid, user_id, measure
from measures
where {{ collab_not_erased('user_id') }}

{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['day', 'trigger_event_type'],
    on_schema_change='append_new_columns',
    pre_hook="{{ collab_delete_rebuild_window('day') }}"
  )
}}
-- depends_on: {{ ref('stg_collab__pipeline_generations') }}
-- depends_on: {{ ref('stg_collab__active_editors') }}
-- depends_on: {{ ref('stg_collab__task_update_velocity') }}
{%- set window = collab_rebuild_window() %}
{%- set days = window['days'] %}
-- Notification fan-out per day and triggering event type, over all workspaces. A trigger event belongs to one
-- workspace, so trigger counts add up across workspaces and the largest fan-out of one trigger is the largest of
-- the workspaces'.
select
    cast(window_start as date) as day,
    trigger_event_type,
    cast(count(*) as bigint) as workspaces,
    cast(sum(trigger_events) as bigint) as trigger_events,
    cast(sum(notifications) as bigint) as notifications,
    cast(sum(notifications) as double precision) / sum(trigger_events) as fanout_avg,
    cast(max(fanout_max) as bigint) as fanout_max,
    {{ window['through'] }} as source_generations_through
from {{ ref('stg_collab__notification_fanout') }}
where granularity = 'day'
    and {{ collab_in_days('cast(window_start as date)', days) }}
group by 1, 2

-- Every workspace the curated tables know, with the first and last day it had activity.
select
    workspace_gid,
    min(day) as first_active_day,
    max(day) as last_active_day
from {{ ref('int_workspace_day_metrics_joined') }}
group by 1

"""collab_correction_replay: every night, replay the two days before the data interval's end from the raw store, so
late events and re-deliveries after the dedup horizon are folded into the curated tables (README, "Replays,
backfills and late data"). Dry run first (its diff kept as an artifact), then the commit; a day without raw data is
skipped with a log line. A committed replay emits the collab_curated_tables asset, on which dbt builds.

Triggered with conf {"from": D, "to": D} (the stream supervisor does, for windows a stateless start could not see
whole), it replays those dates instead."""
from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from collab import config
from collab.airflow_tasks import CURATED_TABLES, lock_gate_and_release, replay_phase
from collab.commands import plan_raw_replay
from collab.dates import correction_days, days_between, parse_date


@dag(
    dag_id="collab_correction_replay",
    # 03:00 UTC: yesterday's day windows closed at 00:00 + 2h allowed lateness, plus slack.
    schedule="0 3 * * *",
    start_date=config.dags_start_date(),
    # Deliberately on: a night missed while Airflow was down is still corrected, one run at a time, in order.
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=5)},
    params={
        "from": Param(None, type=["null", "string"], format="date", description="replay these dates instead"),
        "to": Param(None, type=["null", "string"], format="date"),
    },
    tags=["collab", "replay"],
    doc_md=__doc__,
)
def collab_correction_replay():
    @task
    def plan(**context) -> dict:
        params = context["params"]
        if params.get("from"):
            days = days_between(parse_date(params["from"], "from"), parse_date(params.get("to") or params["from"], "to"))
        else:
            days = correction_days(context["data_interval_end"])
        return {
            "ranges": plan_raw_replay(config.load(), days),
            "artifact_key": f"collab_correction_replay/{days[0]}_{days[-1]}",
        }

    gate, release = lock_gate_and_release()
    the_plan = plan()
    gate >> the_plan
    dry = replay_phase("raw", the_plan, dry_run=True)
    commit = replay_phase("raw", the_plan, dry_run=False, outlets=[CURATED_TABLES])
    dry >> commit
    commit >> release


collab_correction_replay()

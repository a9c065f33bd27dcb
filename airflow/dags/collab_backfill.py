"""collab_backfill: a manual replay of the raw store over params from..to (event dates, at most 30 days): dry run
(diff kept as an artifact), then the commit. It takes the same one-slot pool as the nightly correction, so the two
never run at once: whichever starts second waits. Dates without raw data are skipped with a log line."""
from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from collab import config
from collab.airflow_tasks import CURATED_TABLES, lock_gate_and_release, replay_phase
from collab.commands import plan_raw_replay
from collab.dates import days_between, parse_date


@dag(
    dag_id="collab_backfill",
    schedule=None,
    start_date=config.dags_start_date(),
    catchup=False,
    max_active_runs=1,
    params={
        "from": Param(None, type=["null", "string"], format="date", description="first event date, YYYY-MM-DD"),
        "to": Param(None, type=["null", "string"], format="date", description="last event date (at most 30 days)"),
    },
    tags=["collab", "replay"],
    doc_md=__doc__,
)
def collab_backfill():
    @task
    def plan(**context) -> dict:
        params = context["params"]
        if not params.get("from") or not params.get("to"):
            raise ValueError("collab_backfill needs the params from and to (YYYY-MM-DD, at most 30 days)")
        days = days_between(parse_date(params["from"], "from"), parse_date(params["to"], "to"))
        return {
            "ranges": plan_raw_replay(config.load(), days),
            "artifact_key": f"collab_backfill/{days[0]}_{days[-1]}",
        }

    gate, release = lock_gate_and_release()
    the_plan = plan()
    gate >> the_plan
    dry = replay_phase("raw", the_plan, dry_run=True)
    commit = replay_phase("raw", the_plan, dry_run=False, outlets=[CURATED_TABLES])
    dry >> commit
    commit >> release


collab_backfill()

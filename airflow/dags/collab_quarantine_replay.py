"""collab_quarantine_replay: after a schema fix, re-validate the records quarantined on the arrival dates from..to
(at most 30 days): a dry run that only re-validates and reports, then the replay that writes the records that now
pass to the raw store and replays their event dates. Takes the replay pool like the other replays."""
from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from collab import config
from collab.airflow_tasks import CURATED_TABLES, replay_phase
from collab.dates import days_between, parse_date


@dag(
    dag_id="collab_quarantine_replay",
    schedule=None,
    start_date=config.dags_start_date(),
    catchup=False,
    max_active_runs=1,
    params={
        "from": Param(None, type=["null", "string"], format="date", description="first arrival date, YYYY-MM-DD"),
        "to": Param(None, type=["null", "string"], format="date", description="last arrival date (at most 30 days)"),
    },
    tags=["collab", "replay"],
    doc_md=__doc__,
)
def collab_quarantine_replay():
    @task
    def plan(**context) -> dict:
        params = context["params"]
        if not params.get("from") or not params.get("to"):
            raise ValueError("collab_quarantine_replay needs the params from and to (arrival dates, YYYY-MM-DD)")
        days = days_between(parse_date(params["from"], "from"), parse_date(params["to"], "to"))
        return {
            "ranges": [[str(days[0]), str(days[-1])]],
            "artifact_key": f"collab_quarantine_replay/{days[0]}_{days[-1]}",
        }

    the_plan = plan()
    dry = replay_phase("quarantine", the_plan, dry_run=True)
    commit = replay_phase("quarantine", the_plan, dry_run=False, outlets=[CURATED_TABLES])
    dry >> commit


collab_quarantine_replay()

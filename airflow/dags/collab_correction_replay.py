"""collab_correction_replay: every night, replay the two days before the data interval's end from the raw store, so
late events and re-deliveries after the dedup horizon are folded into the curated tables (README, "Replays,
backfills and late data"). Dry run first (its diff kept as an artifact), then the commit; a day without raw data is
skipped with a log line. A committed replay emits the collab_curated_tables asset, on which dbt builds.

Triggered with conf {"from": D, "to": D} (the stream supervisor does, for windows a stateless start could not see
whole, once their dates are closed), it replays those dates instead; with "rewrite_completeness": true (the
supervisor sets it) it then rewrites pipeline_completeness of those arrival dates from the lost-event audit's
per-offset account (`bin/collab-audit --rewriteCompleteness=true`): neither the stream that lost its state nor the
one that started without it counted those hours whole. The audit refuses (and the task fails) if an offset is lost."""
from __future__ import annotations

import logging

import pendulum
from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

from collab import config
from collab.airflow_tasks import CURATED_TABLES, lock_gate_and_release, replay_phase
from collab.commands import LostEvents, plan_raw_replay, run_audit
from collab.dates import correction_days, days_between, parse_date

log = logging.getLogger(__name__)


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
        "rewrite_completeness": Param(False, type="boolean",
                                      description="after the commit, rewrite completeness of these dates from the audit"),
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

    @task(trigger_rule="none_failed_min_one_success")
    def rewrite_completeness(plan: dict, **context) -> None:
        params = context["params"]
        if not (params.get("from") and params.get("rewrite_completeness")):
            log.info("completeness is not rewritten (only for the dates of a start without state)")
            return
        for first, last in plan["ranges"]:
            try:
                run_audit(config.load(), first, last, rewrite_completeness=True)
            except LostEvents as e:
                # Found lost offsets stay lost: fail now (the audit's report names them), no retry.
                raise AirflowFailException(str(e)) from None

    rewrite = rewrite_completeness(the_plan)
    commit >> rewrite >> release


collab_correction_replay()

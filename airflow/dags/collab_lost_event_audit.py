"""collab_lost_event_audit: every night at 04:00 UTC, the automatic lost-event report of the day before the data
interval's end (arrival date): `bin/collab-audit --from=D --to=D` over the configured stores and warehouse. Every
offset of every source partition and arrival hour must be raw-written, quarantined or a duplicate; the report is
stored in the warehouse (pipeline_audit, which the exporter turns into collab_audit_lost_events and the
CollabAuditFoundLoss alert), and this task fails when something is lost. Runs on the Airflow worker with the
project's tools (on EMR deployments too: it reads the stores and the warehouse, it runs no Flink job)."""
from __future__ import annotations

import pendulum
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk import dag, task

from collab import config
from collab.commands import LostEvents, run_audit


@dag(
    dag_id="collab_lost_event_audit",
    # 04:00 UTC: after the day's last arrivals are written (raw windows of one minute) and after the 03:00 correction.
    schedule="0 4 * * *",
    start_date=config.dags_start_date(),
    # On: a night missed while Airflow was down is still audited.
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=10)},
    tags=["collab", "audit"],
    doc_md=__doc__,
)
def collab_lost_event_audit():
    @task
    def audit(**context) -> str:
        day = str((context["data_interval_end"] - pendulum.duration(days=1)).date())
        try:
            output = run_audit(config.load(), day, day)
        except LostEvents as e:
            # A loss found stays found: fail now, without the retry meant for an unreachable store or warehouse.
            raise AirflowFailException(str(e)) from None
        return output.strip().splitlines()[-1] if output.strip() else ""

    audit()


collab_lost_event_audit()

"""collab_erasure: every day at 02:00 UTC, the erasure of the users whose requests are filed (privacy: an erased
user must be gone from curated data and the dbt models within 72 hours of the request).

- `erase`: `bin/collab-erasure --now=<the data interval's end>` over the configured warehouse, raw and quarantine
  stores and user key store (COLLAB_ERASURE_COMMAND replaces the command, COLLAB_ERASURE_ARGS adds options such as
  the pseudonym key). Exit 3, a request overdue (not complete 72 hours after it was filed), and exit 2, options
  refused, fail the task without retry: neither gets better five minutes later.
- `dbt_build_user_level`: `bin/collab-dbt build --select +tag:user_level` (COLLAB_DBT_ERASURE_SELECT), so the
  user-level tables drop every user in the erasure ledger. It runs even when `erase` failed: a user whose request
  is filed is hidden by the models whether or not the request is complete, so one overdue request must not keep the
  others' users in the tables.
- `done`: the run's outcome; it fails (upstream failed) when either task above failed, so a run with an overdue
  request is a failed run."""
from __future__ import annotations

import shlex

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException

from collab import config
from collab.commands import ErasureFailed, run_dbt, run_erasure

# The data interval's end as an ISO instant in UTC (what --now takes).
NOW_TEMPLATE = "{{ data_interval_end.in_timezone('UTC').strftime('%Y-%m-%dT%H:%M:%SZ') }}"


@dag(
    dag_id="collab_erasure",
    # 02:00 UTC: before the 03:00 correction replay and the 04:00 audit.
    schedule="0 2 * * *",
    start_date=config.dags_start_date(),
    # On: a day missed while Airflow was down is still run (each run erases as of its own interval end).
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=10)},
    tags=["collab", "privacy"],
    doc_md=__doc__,
)
def collab_erasure():
    @task
    def erase(now: str) -> str:
        try:
            output = run_erasure(config.load(), now)
        except ErasureFailed as e:
            raise AirflowFailException(str(e)) from None
        return output.strip().splitlines()[-1] if output.strip() else ""

    @task(trigger_rule="all_done")
    def dbt_build_user_level() -> None:
        select = config.setting("COLLAB_DBT_ERASURE_SELECT", "+tag:user_level")
        run_dbt(config.load(), "build", "--select", *shlex.split(select))

    @task(retries=0)
    def done() -> None:
        pass

    erased = erase(now=NOW_TEMPLATE)
    built = dbt_build_user_level()
    erased >> built
    [erased, built] >> done()


collab_erasure()

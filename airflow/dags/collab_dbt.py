"""collab_dbt_build: `dbt build` of the whole project after any committed replay (the collab_curated_tables asset),
then `dbt source freshness`. collab_dimension_refresh: the periodic build of the dimension models (the type-2
workspace and project membership dimensions), selected by COLLAB_DBT_DIMENSION_SELECT (default tag:dimension).

Both run bin/collab-dbt, which runs dbt from .venv/dbt against COLLAB_WAREHOUSE_URL."""
from __future__ import annotations

import shlex

import pendulum
from airflow.sdk import dag, task

from collab import config
from collab.airflow_tasks import CURATED_TABLES
from collab.commands import run_dbt


def _dbt(*args: str) -> None:
    run_dbt(config.load(), *args)


@dag(
    dag_id="collab_dbt_build",
    schedule=[CURATED_TABLES],
    start_date=config.dags_start_date(),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=5)},
    tags=["collab", "dbt"],
    doc_md=__doc__,
)
def collab_dbt_build():
    @task
    def dbt_build():
        # The incremental models rebuild exactly the ranges of the committed replay generations (dbt's side).
        _dbt("build")

    # No retry: a stale source is not fresh five minutes later; the failed task is the alert.
    @task(retries=0)
    def dbt_source_freshness():
        _dbt("source", "freshness")

    dbt_build() >> dbt_source_freshness()


@dag(
    dag_id="collab_dimension_refresh",
    schedule="20 */6 * * *",
    start_date=config.dags_start_date(),
    # Off on purpose: a refresh rebuilds the dimensions from everything there is; a missed one needs no catching up.
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=5)},
    tags=["collab", "dbt"],
    doc_md=__doc__,
)
def collab_dimension_refresh():
    @task
    def dbt_build_dimensions():
        _dbt("build", "--select", *shlex.split(config.setting("COLLAB_DBT_DIMENSION_SELECT", "tag:dimension")))

    dbt_build_dimensions()


collab_dbt_build()
collab_dimension_refresh()

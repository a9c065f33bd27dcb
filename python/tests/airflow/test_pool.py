"""A backfill started while the correction replay runs waits: both DAGs' replay tasks take the one slot of the
collab_replay pool, and the real scheduler's queueing step (SchedulerJobRunner._executable_task_instances_to_queued,
what every scheduler loop runs) does not queue the backfill's task while the correction's holds the slot, and queues
it once that one has finished. dag.test() does not go through pools, so this asks the scheduler itself."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conftest import DAGS


@pytest.fixture(scope="module")
def scheduler(airflow_db):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(DagBag(dag_folder=str(DAGS)), "dags-folder", None)
    return SchedulerJobRunner(job=Job(), num_runs=1)


def start_run(dag_id: str, when: datetime, session):
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    dag = SerializedDagModel.get_dag(dag_id, session=session)
    return dag.create_dagrun(
        run_id=f"pool_test__{dag_id}", logical_date=when, data_interval=(when, when), run_after=when,
        run_type=DagRunType.MANUAL, triggered_by=DagRunTriggeredByType.TEST, state=DagRunState.RUNNING,
        session=session,
    )


def queued_by_scheduler(scheduler, session) -> list[tuple[str, str]]:
    """What one scheduler loop would queue now; rolled back, so the states stay as the test set them."""
    queued = [(t.dag_id, t.task_id) for t in scheduler._executable_task_instances_to_queued(max_tis=32, session=session)]
    session.rollback()
    return queued


def test_a_backfill_waits_for_the_running_correction(scheduler):
    from airflow.models.dag import DagModel
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        pool = session.query(Pool).filter(Pool.pool == "collab_replay").one()
        assert pool.slots == 1
        for dag_id in ("collab_correction_replay", "collab_backfill"):  # new DAGs start paused
            session.query(DagModel).filter(DagModel.dag_id == dag_id).update({"is_paused": False})
        correction = start_run("collab_correction_replay", datetime(2026, 11, 4, 3, tzinfo=timezone.utc), session)
        backfill = start_run("collab_backfill", datetime(2026, 11, 5, tzinfo=timezone.utc), session)
        running = correction.get_task_instance("commit.local", session=session)
        running.state = TaskInstanceState.RUNNING
        waiting = backfill.get_task_instance("dry_run.local", session=session)
        waiting.state = TaskInstanceState.SCHEDULED
        session.commit()

        assert queued_by_scheduler(scheduler, session) == [], "the backfill must wait while the correction runs"

        # Control: with a second slot the same backfill task would start at once.
        pool.slots = 2
        session.commit()
        assert queued_by_scheduler(scheduler, session) == [("collab_backfill", "dry_run.local")]
        pool = session.query(Pool).filter(Pool.pool == "collab_replay").one()
        pool.slots = 1
        session.commit()

        running = correction.get_task_instance("commit.local", session=session)
        running.state = TaskInstanceState.SUCCESS
        session.commit()
        assert queued_by_scheduler(scheduler, session) == [("collab_backfill", "dry_run.local")]

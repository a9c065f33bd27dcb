"""The task groups the replay DAGs share: the Asana lock gate and its release, and a replay phase (dry run or commit)
that runs as local subprocesses or as EMR steps, chosen at run time by configuration (COLLAB_EMR_CLUSTER_ID).

Building these groups does no work: settings are read and commands run only when a task executes."""
from __future__ import annotations

import logging
import os

from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import Asset, TaskGroup, setup, task, teardown

from collab import config
from collab.asana_lock import AsanaLock
from collab.commands import run_local_replay
from collab.emr import replay_steps

log = logging.getLogger(__name__)

# One replay of the warehouse at a time: the correction, the backfill and the quarantine replay all take their slot
# (bin/collab-airflow creates it with one slot, deferred EMR sensors included).
REPLAY_POOL = "collab_replay"
# Any committed replay: the dbt build is scheduled on it.
CURATED_TABLES = Asset(name="collab_curated_tables", uri="collab://warehouse/curated_tables")
# The Airflow connection of the EMR cluster's AWS account (not templated by the operators, so fixed when parsed).
EMR_CONN_ID = os.environ.get("COLLAB_EMR_CONN_ID", "collab_emr")


def run_name(context) -> str:
    return f"{context['dag'].dag_id} {context['run_id']}"


def _gate(**context) -> str:
    """With the Asana lock configured: fails while the lock project has an incomplete task (retried every 10 min
    for an hour), else logs this run there as a task; returns its gid. Off: returns "" (a None is not stored as an
    XCom, and the release would log a missing one)."""
    lock = AsanaLock.from_settings()
    if lock is None:
        log.info("Asana lock gate off (COLLAB_ASANA_TOKEN_ENV / COLLAB_ASANA_LOCK_PROJECT not set)")
        return ""
    return lock.acquire(run_name(context))


def _release(task_gid: str | None, **context) -> None:
    """Completes the run's Asana task whatever happened after the gate."""
    if not task_gid:
        return
    lock = AsanaLock.from_settings()
    if lock is not None:
        lock.release(task_gid, f"{run_name(context)} ended; its state is in Airflow")


def lock_gate_and_release():
    """The gate (a setup task) and its release (the teardown: it runs when the gate succeeded, however the work
    after it ended, and does not decide the run's state). Call inside a DAG; wire `work >> release`.
    (Decorated anew per DAG: a teardown decorator object keeps state between calls.)"""
    gate = setup(task(task_id="lock_gate", retries=6, retry_delay=600)(_gate))()
    release = teardown(task(task_id="lock_release")(_release))(gate)
    return gate, release


def replay_phase(source: str, plan, dry_run: bool, outlets: list[Asset] | None = None) -> TaskGroup:
    """A TaskGroup `dry_run` or `commit`: branch -> local subprocesses | EMR steps + deferrable sensor -> done.
    `plan` is the XCom of a task returning {"ranges": [[from, to], ...], "artifact_key": str}; no ranges skips the
    phase (and everything after it)."""
    group_id = "dry_run" if dry_run else "commit"
    with TaskGroup(group_id) as group:

        @task.branch(task_id="where")
        def where(plan: dict):
            if not plan["ranges"]:
                log.info("nothing to replay (every date skipped): %s skipped", group_id)
                return []
            settings = config.load()
            if settings.on_emr:
                log.info("replaying on EMR cluster %s", settings.emr_cluster_id)
                return f"{group_id}.emr_steps"
            log.info("replaying locally with %s", settings.bin("collab-pipeline"))
            return f"{group_id}.local"

        @task(task_id="local", pool=REPLAY_POOL)
        def local(plan: dict) -> list[dict]:
            settings = config.load()
            outcomes = []
            for first, last in plan["ranges"]:
                outcome = run_local_replay(settings, source, first, last, dry_run, plan["artifact_key"])
                outcomes.append(outcome.__dict__)
            return outcomes

        @task(task_id="emr_steps", multiple_outputs=True)
        def emr_steps(plan: dict) -> dict:
            settings = config.load()
            steps = replay_steps(settings, source, plan["ranges"], dry_run, plan["artifact_key"])
            return {"cluster": settings.emr_cluster_id, "steps": steps}

        branch = where(plan)
        local_run = local(plan)
        steps = emr_steps(plan)
        add = EmrAddStepsOperator(
            task_id="emr_add",
            aws_conn_id=EMR_CONN_ID,
            job_flow_id=steps["cluster"],
            steps=steps["steps"],
            pool=REPLAY_POOL,
        )
        wait = EmrStepSensor(
            task_id="emr_wait",
            aws_conn_id=EMR_CONN_ID,
            job_flow_id=steps["cluster"],
            # The steps run in order and a failure cancels the rest, so the last step's state is the phase's outcome.
            step_id=f"{{{{ ti.xcom_pull(task_ids='{group_id}.emr_add')[-1] }}}}",
            deferrable=True,
            pool=REPLAY_POOL,
        )
        done = EmptyOperator(task_id="done", trigger_rule="none_failed_min_one_success", outlets=outlets or [])
        branch >> [local_run, steps]
        add >> wait >> done
        local_run >> done
    return group

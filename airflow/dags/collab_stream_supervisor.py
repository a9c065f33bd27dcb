"""collab_stream_supervisor: every 5 minutes, looks at the stream and the warehouse.

- the Flink job's state from its REST API (COLLAB_FLINK_REST_URL; jobs whose name contains COLLAB_FLINK_JOB_NAME,
  default "collab"): if none is alive, resumes the stream through its resume path, re-running the Kafka command
  (locally `bin/collab-pipeline COLLAB_STREAM_ARGS`, detached; on EMR the stream's step);
- the curated tables' freshness: the latest minute window must end within COLLAB_FRESHNESS_MAX_LAG_MINUTES (30) of
  the data interval's end, else the task fails (and alerts);
- the windows a start without state could not see whole (pipeline_corrections_due): triggers
  collab_correction_replay for their dates once the dates are closed (every window final: the date's end plus the
  allowed lateness and slack, 3 h), once per (dates, generation, newest record), with the completeness rewrite of
  those dates. A
  replay of a date still open would fence the running stream out of its windows (the replay's newer generation wins
  over the stream's later panes), so open dates wait, with a log line.
"""
from __future__ import annotations

import logging

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, task

from collab import config, flink, stream, warehouse
from collab.dates import MAX_REPLAY_DAYS, closed, contiguous_ranges

log = logging.getLogger(__name__)


@dag(
    dag_id="collab_stream_supervisor",
    schedule="*/5 * * * *",
    start_date=config.dags_start_date(),
    # Off on purpose: only the present state of the stream matters; old intervals have nothing to supervise.
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(minutes=4),
    tags=["collab", "stream"],
    doc_md=__doc__,
)
def collab_stream_supervisor():
    @task
    def flink_job_state() -> str:
        url = config.setting("COLLAB_FLINK_REST_URL")
        if not url:
            log.info("COLLAB_FLINK_REST_URL not set: the stream's state is not checked")
            return "unchecked"
        state, job = flink.stream_state(flink.jobs_overview(url), config.setting("COLLAB_FLINK_JOB_NAME", "collab"))
        log.info("stream %s%s", state, f": job {job.get('jid')} {job.get('state')}" if job else "")
        return state

    @task
    def resume_stream(state: str, **context) -> None:
        if state not in ("down", "absent"):
            return
        settings = config.load()
        if settings.on_emr:
            from airflow.providers.amazon.aws.hooks.emr import EmrHook

            from collab.airflow_tasks import EMR_CONN_ID

            ids = EmrHook(aws_conn_id=EMR_CONN_ID).add_job_flow_steps(
                job_flow_id=settings.emr_cluster_id, steps=[stream.emr_stream_step(settings)]
            )
            log.info("resumed the stream as EMR step %s", ids)
        else:
            stream.resume_local(settings, context["data_interval_end"].strftime("%Y%m%dT%H%M"))

    @task
    def curated_freshness(**context) -> None:
        settings = config.load()
        latest = warehouse.latest_minute_window(settings)
        max_lag = pendulum.duration(minutes=int(config.setting("COLLAB_FRESHNESS_MAX_LAG_MINUTES", "30")))
        end = context["data_interval_end"]
        if latest is None or end - latest > max_lag:
            raise RuntimeError(f"curated tables stale: latest minute window ends {latest}, "
                               f"more than {max_lag} before {end}")
        log.info("curated tables fresh: latest minute window ends %s (%s before %s)", latest, end - latest, end)

    @task
    def corrections_due(**context) -> list[dict]:
        now = context["data_interval_end"]
        settings = config.load()
        # Snowflake's completeness is written by the job's MERGE only: bin/collab-audit refuses the rewrite there.
        rewrite = not settings.effective_warehouse_url.startswith("jdbc:snowflake:")
        due = warehouse.corrections_due(settings)
        waiting = sorted({d for d, _, _ in due if not closed(d, now)})
        if waiting:
            log.info("windows due a correction on dates still open, replayed once closed: %s", waiting)
        due = [(d, g, r) for d, g, r in due if closed(d, now)]
        if not due:
            return []
        generation = max(g for _, g, _ in due)
        runs = []
        for first, last in contiguous_ranges([d for d, _, _ in due]):
            while first <= last:  # a replay takes at most 30 days
                upto = min(last, first + pendulum.duration(days=MAX_REPLAY_DAYS - 1))
                # The newest record of the range names the run too: a replay deletes the rows of its dates, so a
                # date recorded again afterwards (a resume from an older checkpoint, under the same generation)
                # is replayed again, not skipped as a run that exists already.
                recorded = max(r for d, _, r in due if first <= d <= upto)
                runs.append({
                    "trigger_run_id": f"corrections_due__{first}_{upto}__g{generation}__r{recorded}",
                    "conf": {"from": str(first), "to": str(upto), "rewrite_completeness": rewrite},
                })
                first = upto + pendulum.duration(days=1)
        log.info("windows due a correction: %s", [r["conf"] for r in runs])
        return runs

    resume_stream(flink_job_state())
    curated_freshness()
    TriggerDagRunOperator.partial(
        task_id="trigger_correction_replay",
        trigger_dag_id="collab_correction_replay",
        # The run id names the dates, the generation and the newest record: asked again, it is not started twice.
        skip_when_already_exists=True,
        wait_for_completion=False,
    ).expand_kwargs(corrections_due())


collab_stream_supervisor()

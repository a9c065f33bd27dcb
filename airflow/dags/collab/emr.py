"""The replays as EMR steps (what EmrAddStepsOperator submits), in the form of runner-configs/emr/steps.json.

A replay runs attached (`flink run -t yarn-per-job`, a YARN application per replay): the job's driver, which diffs
and commits after the bounded job has finished, runs in the step itself, so the step ends when the commit has been
made and its state is the replay's outcome. (The stream uses application mode, `flink run-application`, instead.)
"""
from __future__ import annotations

from collab.commands import replay_args
from collab.config import CollabSettings

# Where a step's driver keeps its dry-run diff on the primary node before the sync step copies it to S3.
EMR_DATA_DIR = "/mnt/collab-pipeline"

# The JVM options of a replay's own TaskManagers (its YARN application's, not the stream's). A replay is a bounded batch
# job: throughput, not pause times, is what counts, and the parallel collector gave the embedded Flink batch and replay
# runs of `bin/collab-benchmark` more events per second and per CPU-second than G1, the JVM's default
# (docs/PERFORMANCE.md, round 4). The stream keeps G1: its freshness depends on short pauses.
REPLAY_TASKMANAGER_JVM_OPTIONS = "-XX:+UseParallelGC"


def replay_steps(
    settings: CollabSettings, source: str, ranges: list[list[str]], dry_run: bool, artifact_key: str
) -> list[dict]:
    steps = []
    for first, last in ranges:
        label = f"collab-{source}-replay-{first}-{last}" + ("-dry-run" if dry_run else "")
        steps.append(
            {
                "Name": label,
                # A later range must not run after an earlier one failed: the rest of the run's steps are cancelled.
                "ActionOnFailure": "CANCEL_AND_WAIT",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": [
                        "flink",
                        "run",
                        "-t",
                        "yarn-per-job",
                        f"-Dyarn.application.name={label}",
                        f"-Denv.java.opts.taskmanager={REPLAY_TASKMANAGER_JVM_OPTIONS}",
                        settings.emr_job_jar,
                        "--runner=FlinkRunner",
                        "--flinkMaster=[auto]",
                        *replay_args(source, first, last, dry_run),
                        f"--dataDir={EMR_DATA_DIR}",
                        *settings.store_args(),
                        "--progressSeconds=0",
                        *settings.emr_pipeline_args,
                    ],
                },
            }
        )
    if steps and dry_run and settings.emr_artifact_store:
        steps.append(
            {
                "Name": f"collab-keep-dry-run-diffs-{artifact_key.replace('/', '-')}",
                "ActionOnFailure": "CANCEL_AND_WAIT",
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": [
                        "aws",
                        "s3",
                        "sync",
                        f"{EMR_DATA_DIR}/replays",
                        f"{settings.emr_artifact_store.rstrip('/')}/{artifact_key}/",
                    ],
                },
            }
        )
    return steps

"""Where the DAGs find their settings: an environment variable, else the Airflow Variable of the same name, else a
default. Read only inside tasks (never while a DAG file is parsed), so a Variable costs nothing at import time."""
from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# The repository (bin/ commands); airflow/dags/collab/config.py -> the root is three levels up.
_REPO_DEFAULT = Path(__file__).resolve().parents[3]


def setting(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    try:
        from airflow.sdk import Variable

        value = Variable.get(name, default=None)
    except Exception:  # outside a task (unit tests, the CLI) there is no Variable store to ask
        value = None
    return value if value not in (None, "") else default


def _args(value: str | None) -> list[str]:
    """A list of extra pipeline options: a JSON array, or shell words."""
    if not value:
        return []
    value = value.strip()
    if value.startswith("["):
        return [str(v) for v in json.loads(value)]
    return shlex.split(value)


@dataclass(frozen=True)
class CollabSettings:
    home: Path
    data_dir: Path
    raw_store: str | None
    quarantine_store: str | None
    warehouse_url: str | None
    pipeline_args: list[str] = field(default_factory=list)
    artifact_dir: Path | None = None
    # EMR: set COLLAB_EMR_CLUSTER_ID and the replays run as EMR steps instead of local subprocesses.
    emr_cluster_id: str | None = None
    emr_conn_id: str = "collab_emr"
    emr_job_jar: str = "/home/hadoop/collab-pipeline-job.jar"
    emr_pipeline_args: list[str] = field(default_factory=list)
    emr_artifact_store: str | None = None
    aws_conn_id: str = "aws_default"
    # bin/collab-erasure (collab_erasure): the command (a stand-in can replace it), the user key store, more options.
    erasure_command: list[str] = field(default_factory=list)
    user_key_store: str | None = None
    erasure_args: list[str] = field(default_factory=list)

    @property
    def on_emr(self) -> bool:
        return bool(self.emr_cluster_id)

    @property
    def effective_raw_store(self) -> str:
        return self.raw_store or str(self.data_dir / "raw")

    @property
    def effective_quarantine_store(self) -> str:
        return self.quarantine_store or str(self.data_dir / "quarantine")

    @property
    def effective_warehouse_url(self) -> str:
        return self.warehouse_url or f"jdbc:duckdb:{self.data_dir / 'warehouse.duckdb'}"

    def bin(self, command: str) -> Path:
        return self.home / "bin" / command

    def store_args(self) -> list[str]:
        """The pipeline options naming the stores and the warehouse; unset ones take the pipeline's defaults."""
        args = []
        if self.raw_store:
            args.append(f"--rawStore={self.raw_store}")
        if self.quarantine_store:
            args.append(f"--quarantineStore={self.quarantine_store}")
        if self.warehouse_url:
            args.append(f"--warehouseUrl={self.warehouse_url}")
        return args

    def subprocess_env(self) -> dict[str, str]:
        """The environment of the bin/ commands: ours, plus the warehouse and raw store bin/collab-dbt reads."""
        env = dict(os.environ)
        env["COLLAB_WAREHOUSE_URL"] = self.effective_warehouse_url
        env["COLLAB_RAW_STORE"] = self.effective_raw_store
        return env


def load() -> CollabSettings:
    home = Path(setting("COLLAB_HOME", str(_REPO_DEFAULT)))
    data_dir = Path(setting("COLLAB_DATA_DIR", str(home / "collab-data")))
    artifacts = setting("COLLAB_ARTIFACT_DIR")
    return CollabSettings(
        home=home,
        data_dir=data_dir,
        raw_store=setting("COLLAB_RAW_STORE"),
        quarantine_store=setting("COLLAB_QUARANTINE_STORE"),
        warehouse_url=setting("COLLAB_WAREHOUSE_URL"),
        pipeline_args=_args(setting("COLLAB_PIPELINE_ARGS")),
        artifact_dir=Path(artifacts) if artifacts else data_dir / "airflow-artifacts",
        emr_cluster_id=setting("COLLAB_EMR_CLUSTER_ID"),
        emr_conn_id=setting("COLLAB_EMR_CONN_ID", "collab_emr"),
        emr_job_jar=setting("COLLAB_EMR_JOB_JAR", "/home/hadoop/collab-pipeline-job.jar"),
        emr_pipeline_args=_args(
            setting(
                "COLLAB_EMR_PIPELINE_ARGS",
                '["--pseudonymKey=file:/etc/collab-pipeline/pseudonym.key",'
                ' "--userKeyStore=jdbc:postgresql://collab-user-keys.internal:5432/collab_user_keys?user=collab_pipeline&sslmode=verify-full"]',
            )
        ),
        emr_artifact_store=setting("COLLAB_EMR_ARTIFACT_STORE"),
        aws_conn_id=setting("COLLAB_AWS_CONN_ID", "aws_default"),
        erasure_command=_args(setting("COLLAB_ERASURE_COMMAND")) or [str(home / "bin" / "collab-erasure")],
        user_key_store=setting("COLLAB_USER_KEY_STORE"),
        erasure_args=_args(setting("COLLAB_ERASURE_ARGS")),
    )


def dags_start_date():
    """The DAGs' start_date: COLLAB_DAGS_START_DATE (YYYY-MM-DD, UTC; the environment only, as it is read while the
    DAG files are parsed), default 2026-12-01. The correction replay catches up from it, so set it to the day a
    deployment starts; runs (and dag.test) for earlier logical dates get no task instances."""
    import pendulum

    return pendulum.parse(os.environ.get("COLLAB_DAGS_START_DATE") or "2026-12-01", tz="UTC")

"""The pipeline's replays as commands: which dates have raw data, the options of each replay, and running them
locally as subprocesses of the project's bin/ commands (the EMR form of the same commands is in `emr`)."""
from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from collab.config import CollabSettings
from collab.dates import contiguous_ranges

log = logging.getLogger(__name__)

# What the pipeline's launcher prints (exit code 2) when a date of a raw replay has no Parquet files.
NO_RAW_FILES = "has no Parquet files for"


class CommandFailed(RuntimeError):
    def __init__(self, command: list[str], returncode: int, tail: str):
        super().__init__(f"{command[0]} exited {returncode}: {tail.strip().splitlines()[-1] if tail.strip() else ''}")
        self.returncode = returncode
        self.tail = tail


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    return bucket, prefix.strip("/")


def raw_dates_present(settings: CollabSettings, days: list[date]) -> list[date]:
    """The dates among `days` whose dt= partition holds Parquet files (a local directory or an s3:// prefix)."""
    store = settings.effective_raw_store
    present = []
    if store.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id=settings.aws_conn_id)
        bucket, prefix = _split_s3(store)
        for d in days:
            keys = hook.list_keys(bucket_name=bucket, prefix=f"{prefix}/dt={d}/".lstrip("/"), max_items=1000)
            if any(k.endswith(".parquet") for k in keys or []):
                present.append(d)
        return present
    root = Path(store)
    for d in days:
        partition = root / f"dt={d}"
        if partition.is_dir() and next(partition.rglob("*.parquet"), None) is not None:
            present.append(d)
    return present


def plan_raw_replay(settings: CollabSettings, days: list[date]) -> list[list[str]]:
    """The ranges to replay: the dates that have raw data, in consecutive runs; each missing date is logged and
    skipped (the pipeline refuses to replay a date without raw files, since that would empty its windows)."""
    present = set(raw_dates_present(settings, days))
    for d in days:
        if d not in present:
            log.info("skipping %s: no raw data (no Parquet files under %s/dt=%s)", d, settings.effective_raw_store, d)
    return [[str(a), str(b)] for a, b in contiguous_ranges(sorted(present))]


def replay_args(source: str, first: str, last: str, dry_run: bool) -> list[str]:
    if source not in ("raw", "quarantine"):
        raise ValueError(f"unknown replay source {source!r} (raw or quarantine)")
    args = [f"--source={source}", f"--from={first}", f"--to={last}"]
    if dry_run:
        args.append("--dryRun=true")
    return args


def local_pipeline_command(settings: CollabSettings, args: list[str]) -> list[str]:
    return [
        str(settings.bin("collab-pipeline")),
        *args,
        f"--dataDir={settings.data_dir}",
        *settings.store_args(),
        "--progressSeconds=0",
        *settings.pipeline_args,
    ]


# bin/collab-audit's exit code when offsets are lost.
AUDIT_LOST = 3


def audit_command(settings: CollabSettings, first: str, last: str, rewrite_completeness: bool = False) -> list[str]:
    """The lost-event audit of the arrival dates first..last over the configured stores and warehouse; with
    rewrite_completeness, pipeline_completeness of those dates is rewritten from its per-offset account (refused,
    exit 3, when an offset is lost)."""
    command = [
        str(settings.bin("collab-audit")),
        f"--from={first}",
        f"--to={last}",
        f"--dataDir={settings.data_dir}",
        *settings.store_args(),
        *settings.pipeline_args,
    ]
    if rewrite_completeness:
        command.append("--rewriteCompleteness=true")
    return command


def run_audit(settings: CollabSettings, first: str, last: str, rewrite_completeness: bool = False) -> str:
    """Runs the audit; a loss raises LostEvents naming the report's last line (the task fails and alerts)."""
    try:
        return run(audit_command(settings, first, last, rewrite_completeness), settings)
    except CommandFailed as e:
        if e.returncode == AUDIT_LOST:
            raise LostEvents(f"the audit of {first}..{last} found lost events: {e}") from None
        raise


class LostEvents(RuntimeError):
    """bin/collab-audit found offsets accounted for nowhere (its report is in the task log and pipeline_audit)."""


# bin/collab-erasure's exit codes other than 0: a usage error (its one-line message names the option), and a request
# past its due time (72 hours after it was filed) that is not complete.
ERASURE_USAGE = 2
ERASURE_OVERDUE = 3


class ErasureFailed(RuntimeError):
    """bin/collab-erasure refused its options (exit 2) or found a request overdue (exit 3)."""


def erasure_command(settings: CollabSettings, now: str) -> list[str]:
    """The erasure of every filed request as of `now` (an ISO instant, the run's data interval end) over the
    configured warehouse, stores and user key store, the stores defaulting like the pipeline's (under the data
    directory). The command itself is COLLAB_ERASURE_COMMAND (default bin/collab-erasure); its more options are
    COLLAB_ERASURE_ARGS, e.g. --pseudonymKey=env:COLLAB_PSEUDONYM_KEY."""
    command = [
        *settings.erasure_command,
        f"--warehouseUrl={settings.effective_warehouse_url}",
        f"--rawStore={settings.effective_raw_store}",
        f"--quarantineStore={settings.effective_quarantine_store}",
    ]
    if settings.user_key_store:
        command.append(f"--userKeyStore={settings.user_key_store}")
    return [*command, f"--now={now}", *settings.erasure_args]


def run_erasure(settings: CollabSettings, now: str) -> str:
    """Runs the erasure; exit 2 or 3 raises ErasureFailed with a message saying what to do."""
    try:
        return run(erasure_command(settings, now), settings)
    except CommandFailed as e:
        if e.returncode == ERASURE_OVERDUE:
            raise ErasureFailed(
                f"an erasure request is overdue as of {now} (not complete 72 hours after it was filed): the user's"
                f" data may still be held; see the requests in the task log and in erasure_ledger ({e})") from None
        if e.returncode == ERASURE_USAGE:
            raise ErasureFailed(f"the erasure refused its options; fix the DAG's settings ({e})") from None
        raise


def run_dbt(settings: CollabSettings, *args: str) -> str:
    """bin/collab-dbt ARGS against the configured warehouse and raw store."""
    dbt = settings.bin("collab-dbt")
    if not dbt.exists():
        raise FileNotFoundError(f"{dbt} not found: this checkout has no dbt project runner")
    return run([str(dbt), *args], settings)


def run(command: list[str], settings: CollabSettings, cwd: Path | None = None) -> str:
    """Runs a command, copying its output into the task log line by line; returns the output, raises CommandFailed."""
    log.info("running: %s", " ".join(command))
    lines = []
    with subprocess.Popen(
        command,
        cwd=str(cwd or settings.home),
        env=settings.subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            log.info("| %s", line)
        rc = proc.wait()
    output = "\n".join(lines)
    if rc != 0:
        raise CommandFailed(command, rc, "\n".join(lines[-20:]))
    return output


@dataclass(frozen=True)
class ReplayOutcome:
    first: str
    last: str
    skipped: bool
    artifacts: list[str]


def run_local_replay(
    settings: CollabSettings, source: str, first: str, last: str, dry_run: bool, artifact_key: str | None = None
) -> ReplayOutcome:
    """One replay as a subprocess. A dry run's diff (<dataDir>/replays/diff-<generation>.{txt,json}) is copied to
    <artifact dir>/<artifact_key>/ as dry-run-diff.{txt,json}, replaced by a retry of the same run (idempotent)."""
    replays = settings.data_dir / "replays"
    before = set(replays.glob("diff-*")) if replays.is_dir() else set()
    command = local_pipeline_command(settings, replay_args(source, first, last, dry_run))
    try:
        run(command, settings)
    except CommandFailed as e:
        if source == "raw" and e.returncode == 2 and NO_RAW_FILES in e.tail:
            # Raw files vanished between the plan and the replay (a retention sweep): skip, as the plan would have.
            log.info("skipping %s..%s: the pipeline found no raw data (%s)", first, last, e.tail.strip().splitlines()[-1])
            return ReplayOutcome(first, last, True, [])
        raise
    artifacts = []
    if dry_run and artifact_key:
        new = sorted(set(replays.glob("diff-*")) - before) if replays.is_dir() else []
        target = settings.artifact_dir / artifact_key
        target.mkdir(parents=True, exist_ok=True)
        for f in new:
            dest = target / f"dry-run-diff{f.suffix}"
            shutil.copyfile(f, dest)
            artifacts.append(str(dest))
            log.info("dry-run diff kept as %s (from %s)", dest, f)
        if not new:
            log.warning("the dry run left no diff under %s", replays)
    return ReplayOutcome(first, last, False, artifacts)

"""Resuming the stream through its resume path: re-running the Kafka command (README, "Resume after a stop or a
crash": the launcher resumes from the latest retained checkpoint, in the stream's own generation)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

from collab.config import CollabSettings, _args, setting

log = logging.getLogger(__name__)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def resume_local(settings: CollabSettings, marker: str) -> int | None:
    """Starts `bin/collab-pipeline COLLAB_STREAM_ARGS` detached (a stream runs until stopped, so the task must not
    wait for it) and returns its pid; None if COLLAB_STREAM_ARGS is not set or a stream this started still runs."""
    args = _args(setting("COLLAB_STREAM_ARGS"))
    if not args:
        log.warning("the stream is down, but COLLAB_STREAM_ARGS (the Kafka command's options) is not set: not resumed")
        return None
    pid_file = settings.data_dir / "airflow-stream.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text().strip() or 0)):
        log.info("the stream started by an earlier supervisor run (pid %s) is still starting or running",
                 pid_file.read_text().strip())
        return None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    out = open(Path(settings.data_dir) / f"airflow-stream-{marker}.log", "ab")
    proc = subprocess.Popen(
        [str(settings.bin("collab-pipeline")), *args],
        cwd=str(settings.home), env=settings.subprocess_env(),
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    pid_file.write_text(str(proc.pid))
    log.info("resumed the stream: pid %s, log %s", proc.pid, out.name)
    return proc.pid


def emr_stream_step(settings: CollabSettings) -> dict:
    """The stream's EMR step: COLLAB_EMR_STREAM_STEP (JSON), else RunCollabPipeline of runner-configs/emr/steps.json."""
    configured = setting("COLLAB_EMR_STREAM_STEP")
    if configured:
        return json.loads(configured)
    steps = json.loads((settings.home / "runner-configs" / "emr" / "steps.json").read_text())
    return next(s for s in steps if s["Name"] == "RunCollabPipeline")

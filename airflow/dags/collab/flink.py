"""The stream's state from Flink's REST API (GET /jobs/overview), as the JobManager of a standalone cluster or the
YARN proxy of EMR serves it."""
from __future__ import annotations

import json
import urllib.request

ALIVE = {"INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "FAILING", "CANCELLING", "RECONCILING", "SUSPENDED"}


def jobs_overview(rest_url: str, timeout: float = 10.0) -> list[dict]:
    with urllib.request.urlopen(rest_url.rstrip("/") + "/jobs/overview", timeout=timeout) as response:
        return json.load(response).get("jobs", [])


def stream_state(jobs: list[dict], name_part: str) -> tuple[str, dict | None]:
    """('alive', job) if a job whose name contains `name_part` is alive; else ('down', its latest job) when the
    latest such job ended (FAILED, CANCELED, FINISHED), or ('absent', None) when there is none."""
    mine = [j for j in jobs if name_part in j.get("name", "")]
    alive = [j for j in mine if j.get("state") in ALIVE]
    if alive:
        return "alive", max(alive, key=lambda j: j.get("start-time", 0))
    if mine:
        return "down", max(mine, key=lambda j: j.get("start-time", 0))
    return "absent", None

"""The lock gate of seed-style deploy projects, with Asana: a run goes ahead only while the lock project has no
incomplete task; it then adds its own task there (so a concurrent run sees the project locked) and completes it
when it ends. Off unless COLLAB_ASANA_TOKEN_ENV names an environment variable holding a token (the token itself is
never a setting, a log line or an XCom) and COLLAB_ASANA_LOCK_PROJECT gives the project's gid.

Calls used: GET /projects/{gid}/tasks?completed_since=now, POST /tasks, PUT /tasks/{gid} (python-asana).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from collab.config import setting

log = logging.getLogger(__name__)
ASANA_API = "https://app.asana.com/api/1.0"


class LockedError(RuntimeError):
    pass


@dataclass(frozen=True)
class AsanaLock:
    token_env: str
    project_gid: str
    host: str = ASANA_API

    @staticmethod
    def from_settings() -> "AsanaLock | None":
        token_env = setting("COLLAB_ASANA_TOKEN_ENV")
        project = setting("COLLAB_ASANA_LOCK_PROJECT")
        if not token_env or not project:
            return None
        return AsanaLock(token_env, project, setting("COLLAB_ASANA_HOST", ASANA_API))

    def _tasks_api(self):
        import asana

        token = os.environ.get(self.token_env)
        if not token:
            raise RuntimeError(f"COLLAB_ASANA_TOKEN_ENV names {self.token_env}, which is not set in the environment")
        configuration = asana.Configuration()
        configuration.access_token = token
        configuration.host = self.host
        return asana.TasksApi(asana.ApiClient(configuration))

    def open_tasks(self, tasks_api=None) -> list[dict]:
        api = tasks_api or self._tasks_api()
        return list(api.get_tasks_for_project(self.project_gid, {"completed_since": "now", "opt_fields": "name"}))

    def acquire(self, run_name: str) -> str:
        """Refuses (LockedError) if the project has an incomplete task other than this run's own (a retry of the
        gate finds it); otherwise creates this run's task, or reuses it, and returns its gid."""
        api = self._tasks_api()
        open_tasks = self.open_tasks(api)
        own = [t for t in open_tasks if t.get("name") == run_name]
        others = [t for t in open_tasks if t.get("name") != run_name]
        if others:
            names = ", ".join(repr(t.get("name")) for t in others[:5])
            raise LockedError(f"Asana lock project {self.project_gid} has {len(others)} incomplete task(s): {names}")
        if own:
            log.info("Asana lock project %s: this run's task %s exists already", self.project_gid, own[0]["gid"])
            return own[0]["gid"]
        task = api.create_task({"data": {"name": run_name, "projects": [self.project_gid]}}, {"opt_fields": "name"})
        log.info("Asana lock project %s: no incomplete task; logged this run as task %s", self.project_gid, task["gid"])
        return task["gid"]

    def release(self, task_gid: str, outcome: str) -> None:
        api = self._tasks_api()
        api.update_task({"data": {"completed": True, "notes": outcome}}, task_gid, {"opt_fields": "completed"})
        log.info("Asana lock project %s: task %s completed (%s)", self.project_gid, task_gid, outcome)

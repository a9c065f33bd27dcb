"""The Asana lock gate against a STAND-IN: a small local HTTP server (in this test) that serves the three Asana REST
calls the gate uses, the way Asana's API documents them. Asana itself cannot be reached from the build machines."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from collab.asana_lock import AsanaLock, LockedError

TOKEN = "stand-in-token"
PROJECT = "1200000000000001"


class StandIn:
    def __init__(self):
        self.tasks: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.next_gid = 1300000000000000


@pytest.fixture
def asana():
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(401, {"errors": [{"message": "Not Authorized"}]})
                return False
            return True

        def _body(self):
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")["data"]

        def do_GET(self):
            url = urlparse(self.path)
            state.requests.append(("GET", url.path))
            if not self._authorized():
                return
            parts = url.path.split("/")  # /api/1.0/projects/{gid}/tasks
            if parts[3:4] == ["projects"] and parts[5:] == ["tasks"]:
                query = parse_qs(url.query)
                assert query.get("completed_since") == ["now"], "the gate must list incomplete tasks only"
                data = [{"gid": g, "name": t["name"], "resource_type": "task"} for g, t in state.tasks.items()
                        if parts[4] in t["projects"] and not t["completed"]]
                return self._reply(200, {"data": data, "next_page": None})
            self._reply(404, {"errors": [{"message": "unknown path"}]})

        def do_POST(self):
            state.requests.append(("POST", self.path))
            if not self._authorized():
                return
            body = self._body()
            state.next_gid += 1
            gid = str(state.next_gid)
            state.tasks[gid] = {"name": body["name"], "projects": body["projects"], "completed": False, "notes": ""}
            self._reply(201, {"data": {"gid": gid, "name": body["name"], "resource_type": "task"}})

        def do_PUT(self):
            state.requests.append(("PUT", self.path))
            if not self._authorized():
                return
            gid = self.path.split("?")[0].rsplit("/", 1)[1]
            state.tasks[gid].update(self._body())
            self._reply(200, {"data": {"gid": gid, "completed": state.tasks[gid]["completed"]}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # an ephemeral port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.host = f"http://127.0.0.1:{server.server_address[1]}/api/1.0"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def lock(asana, monkeypatch):
    monkeypatch.setenv("COLLAB_TEST_ASANA_PAT", TOKEN)
    monkeypatch.setenv("COLLAB_ASANA_TOKEN_ENV", "COLLAB_TEST_ASANA_PAT")
    monkeypatch.setenv("COLLAB_ASANA_LOCK_PROJECT", PROJECT)
    monkeypatch.setenv("COLLAB_ASANA_HOST", asana.host)
    return AsanaLock.from_settings()


def test_gate_is_off_without_a_token_reference(monkeypatch):
    monkeypatch.delenv("COLLAB_ASANA_TOKEN_ENV", raising=False)
    monkeypatch.setenv("COLLAB_ASANA_LOCK_PROJECT", PROJECT)
    assert AsanaLock.from_settings() is None


def test_a_free_lock_project_logs_the_run_as_a_task_completed_at_the_end(asana, lock):
    gid = lock.acquire("collab_backfill manual__1")
    assert asana.tasks[gid]["name"] == "collab_backfill manual__1" and not asana.tasks[gid]["completed"]
    assert asana.tasks[gid]["projects"] == [PROJECT]
    # While it runs, the run's own task locks the project for every other run ...
    with pytest.raises(LockedError, match="1 incomplete task"):
        lock.acquire("collab_correction_replay scheduled__2")
    # ... but not for a retry of its own gate.
    assert lock.acquire("collab_backfill manual__1") == gid
    lock.release(gid, "done")
    assert asana.tasks[gid]["completed"] is True
    assert lock.open_tasks() == []


def test_an_open_task_in_the_lock_project_stops_the_run(asana, lock):
    asana.tasks["1"] = {"name": "deploy freeze", "projects": [PROJECT], "completed": False, "notes": ""}
    with pytest.raises(LockedError, match="'deploy freeze'"):
        lock.acquire("collab_backfill manual__1")
    assert [m for m, _ in asana.requests] == ["GET"], "nothing is created while locked"


def test_the_token_is_read_from_the_named_variable_only(asana, lock, monkeypatch):
    monkeypatch.setenv("COLLAB_TEST_ASANA_PAT", "wrong")
    with pytest.raises(Exception) as failure:
        lock.acquire("collab_backfill manual__1")
    assert "wrong" not in str(failure.value) and TOKEN not in str(failure.value)
    monkeypatch.delenv("COLLAB_TEST_ASANA_PAT")
    with pytest.raises(RuntimeError, match="names COLLAB_TEST_ASANA_PAT, which is not set"):
        lock.acquire("collab_backfill manual__1")

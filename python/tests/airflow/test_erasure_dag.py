"""collab_erasure: its schedule, the --now it passes (the data interval's end), and how it maps the erasure
command's exit codes, run with dag.test() against a stand-in for bin/collab-erasure (a small script that records
its arguments and exits with the code it is told). The dbt step is the real bin/collab-dbt, on an empty DuckDB
warehouse (no raw store: the user-level models are off, so it builds nothing)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pendulum
import pytest

from conftest import DAGS

STAND_IN = """#!/usr/bin/env bash
printf '%s\\n' "$@" > "$(dirname "$0")/args.txt"
code="$(cat "$(dirname "$0")/exit-code")"
[ "$code" = 0 ] || echo "collab-erasure: the stand-in exits $code" >&2
exit "$code"
"""


@pytest.fixture(scope="module")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS / "collab_erasure.py"), known_pools={"default_pool", "collab_replay"})
    assert bag.import_errors == {}
    return bag.get_dag("collab_erasure")


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch) -> Path:
    script = tmp_path / "bin" / "erasure-stand-in"
    script.parent.mkdir()
    script.write_text(STAND_IN)
    script.chmod(0o755)
    monkeypatch.setenv("COLLAB_ERASURE_COMMAND", json.dumps([str(script)]))
    monkeypatch.setenv("COLLAB_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb")).close()  # the warehouse, empty (no pipeline run)
    monkeypatch.setenv("COLLAB_USER_KEY_STORE", str(tmp_path / "user-keys"))
    monkeypatch.setenv("COLLAB_ERASURE_ARGS", "--allowDevKey=true")
    return script.parent


def states(run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_daily_at_two_with_catchup_and_the_interval_end_as_now(dag):
    assert dag.schedule == "0 2 * * *" and dag.catchup is True and dag.max_active_runs == 1
    erase = dag.get_task("erase")
    end = pendulum.datetime(2026, 12, 2, 2, 0, tz="UTC")
    assert erase.render_template(erase.op_kwargs["now"], {"data_interval_end": end}) == "2026-12-02T02:00:00Z"
    assert dag.get_task("dbt_build_user_level").upstream_task_ids == {"erase"}
    assert dag.get_task("done").upstream_task_ids == {"erase", "dbt_build_user_level"}


def test_exit_0_succeeds_and_the_command_gets_the_interval_end_and_the_settings(dag, stand_in, tmp_path):
    (stand_in / "exit-code").write_text("0")
    run = dag.test(logical_date=datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc))
    assert run.state == "success", states(run)
    args = (stand_in / "args.txt").read_text().splitlines()
    data = tmp_path / "data"
    # A cron schedule's run at 11-03 02:00 ends its data interval then: --now is that instant, in UTC.
    assert args == [
        f"--warehouseUrl=jdbc:duckdb:{data / 'warehouse.duckdb'}", f"--rawStore={data / 'raw'}",
        f"--quarantineStore={data / 'quarantine'}", f"--userKeyStore={tmp_path / 'user-keys'}",
        "--now=2026-11-03T02:00:00Z", "--allowDevKey=true",
    ]


@pytest.mark.parametrize("code, message", [
    (3, "an erasure request is overdue as of 2026-11-04T02:00:00Z"),
    (2, "the erasure refused its options; fix the DAG's settings"),
])
def test_exit_3_and_2_fail_the_run_with_a_message_and_still_rebuild_the_models(dag, stand_in, code, message, capfd):
    (stand_in / "exit-code").write_text(str(code))
    run = dag.test(logical_date=datetime(2026, 11, 4, 2, 0, tzinfo=timezone.utc))
    assert run.state == "failed"
    assert states(run) == {"erase": "failed", "dbt_build_user_level": "success", "done": "upstream_failed"}
    # The task's log (Airflow's structured log on the console under dag.test): the exception and its message.
    logged = "".join(capfd.readouterr())
    assert f"AirflowFailException: {message}" in logged
    assert f"erasure-stand-in exited {code}: collab-erasure: the stand-in exits {code}" in logged
    # AirflowFailException: no retry of the erasure (one try, though the DAG's tasks retry once).
    erase = next(ti for ti in run.get_task_instances() if ti.task_id == "erase")
    assert erase.try_number == 1


def test_the_real_erasure_command_files_an_operator_request_and_completes_it(dag, tmp_path, monkeypatch):
    """The DAG's default command is the real bin/collab-erasure: on a warehouse without user-level tables
    yet, an operator's request (COLLAB_ERASURE_ARGS) is filed and completed, and the ledger keeps no key index."""
    data = tmp_path / "data"
    data.mkdir()
    duckdb.connect(str(data / "warehouse.duckdb")).close()
    monkeypatch.delenv("COLLAB_ERASURE_COMMAND", raising=False)
    monkeypatch.setenv("COLLAB_DATA_DIR", str(data))
    monkeypatch.setenv("COLLAB_USER_KEY_STORE", str(tmp_path / "user-keys"))
    monkeypatch.setenv("COLLAB_ERASURE_ARGS", "--request=4242424242")
    run = dag.test(logical_date=datetime(2026, 11, 5, 2, 0, tzinfo=timezone.utc))
    assert run.state == "success", states(run)
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("select source, key_index, completed_at is not null from erasure_ledger").fetchall()
    assert rows == [("operator", None, True)]
    # The never-seen user got a tombstone: no writer will ever make a secret for them.
    tombstones = [p.read_text() for p in (tmp_path / "user-keys").rglob("*.key")]
    assert len(tombstones) == 1 and "erased_at=" in tombstones[0] and "secret=" not in tombstones[0]

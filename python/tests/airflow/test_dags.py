"""The DAG files import cleanly in a real Airflow 3 and are wired as intended."""
from __future__ import annotations

import subprocess

import pytest

from conftest import DAGS, REPO

DAG_IDS = {
    "collab_correction_replay", "collab_backfill", "collab_quarantine_replay",
    "collab_dbt_build", "collab_dimension_refresh", "collab_stream_supervisor", "collab_lost_event_audit",
    "collab_erasure",
}
REPLAY_DAGS = ["collab_correction_replay", "collab_backfill", "collab_quarantine_replay"]


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    # Airflow 3.3's DagBag has no include_examples any more (the examples are off by AIRFLOW__CORE__LOAD_EXAMPLES);
    # known_pools makes a task naming a pool that does not exist an import error.
    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", "collab_replay"})


def test_dagbag_has_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS


def test_cli_finds_no_import_errors(airflow_db):
    cli = str(REPO / "bin" / "collab-airflow")
    local = subprocess.run([cli, "dags", "list-import-errors", "--local", "-o", "plain"],
                           capture_output=True, text=True, check=True)
    assert "No data found" in local.stdout, local.stdout
    # The same after a parse into the metadata database, as a dag processor does it.
    subprocess.run([cli, "dags", "reserialize"], capture_output=True, text=True, check=True)
    stored = subprocess.run([cli, "dags", "list-import-errors", "-o", "plain"], capture_output=True, text=True, check=True)
    assert "No data found" in stored.stdout, stored.stdout
    listed = subprocess.run([cli, "dags", "list", "-o", "plain"], capture_output=True, text=True, check=True).stdout
    assert all(d in listed for d in DAG_IDS), listed


def test_cli_names_the_dags_for_an_unknown_dag_id_in_one_line(dagbag):
    cli = str(REPO / "bin" / "collab-airflow")
    for args in (["dags", "test", "collab_backfil", "2026-11-04"], ["dags", "trigger", "nosuch"],
                 ["tasks", "list", "collab_replay"]):
        run = subprocess.run([cli, *args], capture_output=True, text=True)
        assert run.returncode == 2, run.stderr
        assert run.stdout == ""
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        # The DAGs it names are the DagBag's, in order.
        assert lines[0] == (f"collab-airflow: no DAG '{args[2]}' in airflow/dags; the DAGs are: "
                            f"{' '.join(sorted(dagbag.dag_ids))} (bin/collab-airflow dags list)")
    # A DAG of the project passes through to Airflow.
    listed = subprocess.run([cli, "tasks", "list", "collab_backfill"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "plan" in listed.stdout.split()


def test_schedules_catchup_and_utc(dagbag):
    dags = {d: dagbag.get_dag(d) for d in DAG_IDS}
    for dag in dags.values():
        assert str(dag.timezone) == "UTC" and dag.start_date.tzinfo is not None
        assert dag.max_active_runs == 1
    # Nights missed while Airflow was down are still corrected and audited.
    caught_up = {"collab_correction_replay", "collab_lost_event_audit", "collab_erasure"}
    assert all(dags[d].catchup is True for d in caught_up)
    assert all(dags[d].catchup is False for d in DAG_IDS - caught_up)
    assert dags["collab_backfill"].schedule is None and dags["collab_quarantine_replay"].schedule is None
    assert [a.name for a in dags["collab_dbt_build"].timetable.asset_condition.objects] == [
        "collab_curated_tables"
    ]


def test_every_replay_task_takes_the_one_slot_pool_and_commits_emit_the_asset(dagbag):
    for dag_id in REPLAY_DAGS:
        dag = dagbag.get_dag(dag_id)
        for group in ("dry_run", "commit"):
            for t in ("local", "emr_add", "emr_wait"):
                assert dag.get_task(f"{group}.{t}").pool == "collab_replay", (dag_id, group, t)
        assert dag.get_task("commit.emr_wait").deferrable is True
        assert [o.name for o in dag.get_task("commit.done").outlets] == ["collab_curated_tables"]
        assert dag.get_task("dry_run.done").outlets == []
        assert dag.get_task("dry_run.done").downstream_task_ids == {"commit.where"}


def test_the_lock_gate_is_a_setup_and_its_release_a_teardown(dagbag):
    for dag_id in ("collab_correction_replay", "collab_backfill"):
        dag = dagbag.get_dag(dag_id)
        assert dag.get_task("lock_gate").is_setup and dag.get_task("lock_release").is_teardown
        assert dag.get_task("plan").upstream_task_ids == {"lock_gate"}


def test_the_completeness_rewrite_follows_the_commit_and_precedes_the_release(dagbag):
    dag = dagbag.get_dag("collab_correction_replay")
    rewrite = dag.get_task("rewrite_completeness")
    assert "commit.done" in rewrite.upstream_task_ids
    assert "lock_release" in rewrite.downstream_task_ids


def test_the_supervisor_asks_for_closed_due_dates_only_with_the_completeness_rewrite(dagbag, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    import duckdb

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE pipeline_corrections_due (window_start TIMESTAMP, granularity VARCHAR,"
                    " generation BIGINT, recorded_at TIMESTAMP)")
        con.execute("INSERT INTO pipeline_corrections_due VALUES ('2026-11-02 10:00:00', 'hour', 7, '2026-11-02 11:00:00'),"
                    " ('2026-11-03 00:00:00', 'day', 7, '2026-11-03 01:00:00'),"
                    " ('2026-11-03 10:00:00', 'minute', 7, '2026-11-03 10:05:00')")
    monkeypatch.setenv("COLLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COLLAB_WAREHOUSE_URL", raising=False)
    due = dagbag.get_dag("collab_stream_supervisor").get_task("corrections_due").python_callable
    # 11-03 05:00: 11-02 closed at 11-03 03:00, 11-03 still open (it waits for 11-04 03:00).
    runs = due(data_interval_end=datetime(2026, 11, 3, 5, 0, tzinfo=timezone.utc))
    assert runs == [{"trigger_run_id": "corrections_due__2026-11-02_2026-11-02__g7__r20261102T110000000000",
                     "conf": {"from": "2026-11-02", "to": "2026-11-02", "rewrite_completeness": True}}]
    runs = due(data_interval_end=datetime(2026, 11, 4, 3, 0, tzinfo=timezone.utc))
    assert [r["conf"] for r in runs] == [{"from": "2026-11-02", "to": "2026-11-03", "rewrite_completeness": True}]
    # The newest record of the range names the run: 11-03's.
    assert runs[0]["trigger_run_id"] == "corrections_due__2026-11-02_2026-11-03__g7__r20261103T100500000000"
    asked_again = due(data_interval_end=datetime(2026, 11, 4, 3, 5, tzinfo=timezone.utc))
    assert asked_again == runs, "the same rows must give the same run id, so that the replay is not started twice"


def test_a_date_recorded_again_after_its_replay_is_replayed_again(dagbag, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    import duckdb

    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE pipeline_corrections_due (window_start TIMESTAMP, granularity VARCHAR,"
                    " generation BIGINT, recorded_at TIMESTAMP)")
        con.execute("INSERT INTO pipeline_corrections_due VALUES ('2026-11-02 10:00:00', 'hour', 7, '2026-11-02 11:00:00')")
    monkeypatch.setenv("COLLAB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COLLAB_WAREHOUSE_URL", raising=False)
    due = dagbag.get_dag("collab_stream_supervisor").get_task("corrections_due").python_callable
    now = datetime(2026, 11, 5, 0, 0, tzinfo=timezone.utc)
    first = due(data_interval_end=now)
    with duckdb.connect(str(db)) as con:
        # The replay of 11-02 commits and deletes its rows; then a stream resumed from a checkpoint taken on 11-02
        # records a window of that date again, under the same generation.
        con.execute("DELETE FROM pipeline_corrections_due WHERE CAST(window_start AS DATE) = '2026-11-02'")
        con.execute("INSERT INTO pipeline_corrections_due VALUES ('2026-11-02 10:00:00', 'hour', 7, '2026-11-04 09:00:00')")
    second = due(data_interval_end=now)
    assert [r["conf"] for r in second] == [r["conf"] for r in first]
    assert second[0]["trigger_run_id"] != first[0]["trigger_run_id"], (
        "a run id that exists already is skipped (skip_when_already_exists): the date would never be corrected")

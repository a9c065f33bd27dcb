"""The correction replay and the backfill DAGs end to end with dag.test() on the embedded default: the real pipeline
writes a raw store and a DuckDB warehouse from generated events, then each DAG runs its real replays (dry run, then
commit) into that warehouse, twice, and the curated tables are the same after every run; then the real dbt build on
the asset, where this checkout has bin/collab-dbt (the dbt project comes from its own branch)."""
from __future__ import annotations

import os
import subprocess
from datetime import date, datetime, time, timedelta, timezone

from pathlib import Path

import duckdb
import pytest

from conftest import DAGS, REPO

METRIC_TABLES = ("active_editors", "task_update_velocity", "notification_fanout")
DBT = REPO / "bin" / "collab-dbt"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, airflow_db):
    """The real pipeline on 5,000 generated events in a temporary data directory; the event dates it wrote."""
    data = tmp_path_factory.mktemp("collab") / "data"
    run = subprocess.run(
        [str(REPO / "bin" / "collab-pipeline"), "--events=5000", f"--dataDir={data}", "--progressSeconds=0"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    dates = sorted(date.fromisoformat(p.name[len("dt="):]) for p in (data / "raw").glob("dt=*"))
    assert dates, "the pipeline wrote no raw partitions"
    os.environ["COLLAB_DATA_DIR"] = str(data)
    yield data, dates
    os.environ.pop("COLLAB_DATA_DIR", None)


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def snapshot(data) -> dict[str, list[tuple]]:
    """The curated metric tables (without the generation and pane version columns, which every replay renews)."""
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"SELECT * EXCLUDE (generation, pane_index) FROM {t} ORDER BY ALL").fetchall()
                for t in METRIC_TABLES}


def generations(data, kind="replay") -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT range_from, range_to, status FROM pipeline_generations WHERE kind = ? "
                           "ORDER BY generation", [kind]).fetchall()


def dbt_relations(data) -> dict[str, list[tuple]]:
    """The marts and dimensions dbt built (not its staging and intermediate views, which show the generation log
    and the rows' generations), without load-time columns or the generations a row came from (a replay renews
    them: source_generations_through)."""
    out = {}
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rels = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_name NOT IN"
                           " ('active_editors', 'task_update_velocity', 'notification_fanout', 'pipeline_completeness',"
                           " 'pipeline_generations', 'pipeline_corrections_due')"
                           " AND table_name NOT LIKE 'replay_staging_%' AND table_name NOT LIKE 'stg\\_%' ESCAPE '\\'"
                           " AND table_name NOT LIKE 'int\\_%' ESCAPE '\\'").fetchall()
        for schema, name in rels:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
                " AND column_name NOT LIKE '%loaded_at%' AND column_name NOT LIKE '%updated_at%'"
                " AND column_name NOT LIKE 'dbt_%' AND column_name NOT LIKE '%generation%' AND column_name <> 'pane_index'"
                " ORDER BY ordinal_position", [schema, name]).fetchall()]
            if cols:
                sel = ", ".join(f'"{c}"' for c in cols)
                out[f"{schema}.{name}"] = con.execute(f'SELECT {sel} FROM "{schema}"."{name}" ORDER BY ALL').fetchall()
    return out


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id: getattr(ti.state, "value", ti.state) for ti in dag_run.get_task_instances()}


def run_dbt_build(dagbag, data) -> dict[str, list[tuple]] | None:
    """collab_dbt_build (what the asset schedules after a commit) and the marts it left; None without bin/collab-dbt."""
    if not DBT.exists():
        return None
    run = dagbag.get_dag("collab_dbt_build").test()
    states = task_states(run)
    assert states["dbt_build"] == "success", states
    # Then dbt source freshness, against the clock (dbt's own check): data of 2026-11-02 is stale on any later day,
    # which fails that task (the alert) but not the build.
    assert states["dbt_source_freshness"] in ("success", "failed"), states
    return dbt_relations(data)


def test_dbt_step_is_in_this_checkout():
    if not DBT.exists():
        pytest.skip("bin/collab-dbt is not in this checkout yet (the dbt project is built on its own branch): "
                    "the end-to-end tests ran without their dbt step")


def test_correction_replay_runs_twice_with_identical_tables(dagbag, warehouse):
    data, dates = warehouse
    last = dates[-1]
    # The run whose data interval ends at 03:00 the day after the last event date replays that date and the one
    # before it; a date the generator did not reach has no raw data and is skipped.
    end = datetime.combine(last + timedelta(days=1), time(3), tzinfo=timezone.utc)
    replayed = [d for d in (last - timedelta(days=1), last) if d in dates]
    before = snapshot(data)
    dag = dagbag.get_dag("collab_correction_replay")

    first = dag.test(logical_date=end)
    states = task_states(first)
    assert first.state == "success", states
    assert states["commit.local"] == "success" and states["commit.done"] == "success"
    assert states["commit.emr_add"] == "skipped" and states["dry_run.emr_wait"] == "skipped"
    after_first = snapshot(data)
    assert after_first == before, "a replay of data that arrived on time changes nothing"
    committed = [g for g in generations(data) if g[2] == "committed"]
    assert committed == [(replayed[0], replayed[-1], "committed")]
    artifact = data / "airflow-artifacts" / "collab_correction_replay" / f"{last - timedelta(days=1)}_{last}"
    assert (artifact / "dry-run-diff.txt").read_text().startswith("diff of generation")
    assert (artifact / "dry-run-diff.json").exists()
    marts_first = run_dbt_build(dagbag, data)
    assert marts_first is None or any(marts_first.values()), "dbt built no rows"

    second = dag.test(logical_date=end)
    assert second.state == "success", task_states(second)
    assert snapshot(data) == after_first
    assert run_dbt_build(dagbag, data) == marts_first
    assert [g for g in generations(data) if g[2] == "committed"] == [(replayed[0], replayed[-1], "committed")] * 2


def test_backfill_runs_twice_with_identical_tables(dagbag, warehouse):
    data, dates = warehouse
    conf = {"from": str(dates[0]), "to": str(dates[-1])}
    dag = dagbag.get_dag("collab_backfill")
    committed_before = len([g for g in generations(data) if g[2] == "committed"])
    before = snapshot(data)

    first = dag.test(run_conf=conf)
    assert first.state == "success", task_states(first)
    after_first = snapshot(data)
    assert after_first == before
    second = dag.test(run_conf=conf)
    assert second.state == "success", task_states(second)
    assert snapshot(data) == after_first
    committed = [g for g in generations(data) if g[2] == "committed"]
    assert committed[committed_before:] == [(dates[0], dates[-1], "committed")] * 2
    assert (data / "airflow-artifacts" / "collab_backfill" / f"{dates[0]}_{dates[-1]}" / "dry-run-diff.txt").exists()


def test_backfill_refuses_more_than_30_days(dagbag, warehouse):
    run = dagbag.get_dag("collab_backfill").test(run_conf={"from": "2026-10-01", "to": "2026-10-31"})
    assert run.state == "failed"
    assert task_states(run)["plan"] == "failed"


def completeness(data) -> tuple[list[tuple], set[int]]:
    """pipeline_completeness's contract columns, and the generations that wrote it."""
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT window_start, granularity, stage, events FROM pipeline_completeness"
                           " ORDER BY ALL").fetchall()
        gens = {g for (g,) in con.execute("SELECT DISTINCT generation FROM pipeline_completeness").fetchall()}
    return rows, gens


def arrival_dates(data) -> list[date]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT DISTINCT CAST(window_start AS DATE) FROM pipeline_completeness WHERE granularity = 'day'"
            " AND stage = 'received' AND events > 0 ORDER BY 1").fetchall()]


def test_a_correction_asked_by_the_supervisor_rewrites_completeness_to_the_same_counts(dagbag, warehouse):
    data, dates = warehouse
    before, generations_before = completeness(data)
    day = str(dates[-1])
    run = dagbag.get_dag("collab_correction_replay").test(
        run_conf={"from": day, "to": day, "rewrite_completeness": True})
    states = task_states(run)
    assert run.state == "success", states
    assert states["rewrite_completeness"] == "success"
    after, generations_after = completeness(data)
    # The audit's recount from the per-offset account equals what the stream counted (nothing was lost), and it
    # was written: a generation newer than the stream's now holds some of those hours. (The recount also writes
    # the stages it found none of, e.g. late = 0, where the stream writes no row.)
    assert [r for r in after if r[3] != 0] == [r for r in before if r[3] != 0]
    assert all(r[3] == 0 for r in set(after) - set(before))
    assert generations_after - generations_before, "the rewrite wrote no row"


def test_the_nightly_audit_passes_then_names_a_deleted_raw_file(dagbag, warehouse, tmp_path, monkeypatch):
    import shutil

    data, _ = warehouse
    day = arrival_dates(data)[-1]
    dag = dagbag.get_dag("collab_lost_event_audit")
    end = datetime.combine(day + timedelta(days=1), time(4), tzinfo=timezone.utc)
    ok = dag.test(logical_date=end)
    assert ok.state == "success", task_states(ok)
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pipeline_audit").fetchone()[0] > 0

    # A copy of the data directory without the raw file holding the median offset of that arrival date.
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    start = int(datetime.combine(day, time(0), tzinfo=timezone.utc).timestamp() * 1000)
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT filename, source_offset FROM read_parquet(?, filename = true)"
            " WHERE epoch_ms(received_at) >= ? AND epoch_ms(received_at) < ?"
            " ORDER BY source_partition, source_offset",
            [str(copy / "raw" / "**" / "*.parquet"), start, start + 86_400_000]).fetchall()
    victim = rows[len(rows) // 2][0]
    Path(victim).unlink()
    monkeypatch.setenv("COLLAB_DATA_DIR", str(copy))
    lost = dag.test(logical_date=end)
    assert lost.state == "failed"
    assert task_states(lost)["audit"] == "failed"

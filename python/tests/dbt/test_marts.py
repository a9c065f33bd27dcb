"""The real pipeline on a generated two-week workload, then the real dbt build on DuckDB and on PostgreSQL: the
marts must equal what this test computes from the input events itself (collab_dbt_workload.py), and a committed replay must
make the incremental marts rebuild exactly its date range."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

import collab_dbt_workload as workload
from collab_dbt_harness import Dbt, Postgres, pipeline

HEALTH_COLUMNS = [
    "active_editors", "task_updates", "tasks_touched", "tasks_completed", "notifications", "fanout_avg",
    "active_editors_7d_avg", "task_updates_7d", "tasks_completed_7d", "notifications_7d", "fanout_avg_7d",
    "active_editors_wow_change", "task_updates_wow_change", "notifications_wow_change",
]
FANOUT_COLUMNS = ["workspaces", "trigger_events", "notifications", "fanout_avg", "fanout_max"]


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return workload.generate()


@pytest.fixture(scope="module")
def input_glob(events: list[dict], tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("input")
    workload.write_ndjson(events, directory / "events.ndjson")
    return str(directory / "*.ndjson")


@pytest.fixture(scope="module")
def duck(input_glob: str, tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    """The pipeline on the embedded DuckDB warehouse, then one full dbt build."""
    data = tmp_path_factory.mktemp("duck") / "collab-data"
    pipeline("--source=files", f"--input={input_glob}", f"--dataDir={data}", "--progressSeconds=0")
    dbt = Dbt(f"jdbc:duckdb:{data}/warehouse.duckdb", data / "raw", data.parent)
    dbt("build")
    return dbt


def duck_rows(dbt: Dbt, sql: str) -> list[dict[str, Any]]:
    path = dbt.warehouse_url[len("jdbc:duckdb:"):]
    with duckdb.connect(path, read_only=True) as c:  # closed before the next process opens the file
        cur = c.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def assert_rows_equal(actual: dict, expected: dict, columns: list[str]) -> None:
    assert sorted(actual) == sorted(expected), "different keys"
    for key in sorted(expected):
        for column in columns:
            want, got = expected[key][column], actual[key][column]
            if want is None or got is None:
                assert got == want, f"{key} {column}: {got} != {want}"
            else:
                assert float(got) == pytest.approx(want, rel=1e-9), f"{key} {column}: {got} != {want}"


def health_by_key(rows: list[dict]) -> dict:
    return {(r["day"], r["workspace_gid"]): r for r in rows}


def fanout_by_key(rows: list[dict]) -> dict:
    return {(r["day"], r["trigger_event_type"]): r for r in rows}


def test_duckdb_marts_equal_the_metrics_computed_from_the_input(duck: Dbt, events: list[dict]) -> None:
    health = health_by_key(duck_rows(duck, "SELECT * FROM analytics.workspace_daily_health"))
    expected = workload.expected_workspace_daily_health(events)
    assert len(expected) > 30  # two weeks, three workspaces, with gaps
    assert_rows_equal(health, expected, HEALTH_COLUMNS)
    fanout = fanout_by_key(duck_rows(duck, "SELECT * FROM analytics.notification_fanout_daily"))
    assert_rows_equal(fanout, workload.expected_fanout_daily(events), FANOUT_COLUMNS)


USER_COLUMNS = ["edits", "comments", "mentions_received", "notifications_received"]


def test_duckdb_user_activity_equals_the_counts_computed_from_the_input(duck: Dbt, events: list[dict]) -> None:
    got = {(r["day"], r["workspace_gid"], r["user_id"]): r
           for r in duck_rows(duck, "SELECT * FROM analytics.user_activity_daily")}
    expected = workload.expected_user_activity_daily(events)
    assert sum(r["mentions_received"] for r in expected.values()) > 20, "the workload mentions users"
    assert len(expected) > 100
    assert_rows_equal(got, expected, USER_COLUMNS)


def scd2_from_raw(raw: Path, event_types: tuple[str, str], entity: list[str]) -> dict[tuple, list[tuple]]:
    """Per entity, the sequence of (is_member, role) states, computed in Python from the raw Parquet files."""
    with duckdb.connect() as c:
        rows = c.execute(
            "SELECT event_id, event_type, workspace_gid, payload_json, occurred_at, received_at"
            f" FROM read_parquet('{raw}/**/*.parquet', hive_partitioning = true)"
            f" WHERE event_type IN ('{event_types[0]}', '{event_types[1]}')").fetchall()
    first: dict[str, tuple] = {}
    for row in sorted(rows, key=lambda r: r[5]):
        first.setdefault(row[0], row)  # earliest copy of each event id
    changes: dict[tuple, list[tuple]] = defaultdict(list)
    for event_id, event_type, workspace, payload_json, occurred_at, _ in first.values():
        payload = json.loads(payload_json)
        fields = {"workspace_gid": workspace, **payload}
        user = payload.get("user_gid") or payload.get("member_user_gid")
        key = tuple(fields[e] for e in entity) + (user,)
        changes[key].append((occurred_at, event_id, event_type == event_types[0], payload.get("role")))
    versions: dict[tuple, list[tuple]] = {}
    for key, seq in changes.items():
        states: list[tuple] = []
        for _, _, is_member, role in sorted(seq):
            state = (is_member, role if is_member and "project_gid" in entity else None)
            if not states or states[-1] != state:
                states.append(state)
        versions[key] = states
    return versions


def test_duckdb_membership_dimensions_follow_the_raw_store_history(duck: Dbt) -> None:
    ws = scd2_from_raw(duck.raw_store, ("workspace.user_joined", "workspace.user_left"), ["workspace_gid"])
    got: dict[tuple, list[tuple]] = defaultdict(list)
    for r in duck_rows(duck, "SELECT * FROM analytics.dim_workspace_membership ORDER BY valid_from"):
        got[(r["workspace_gid"], r["user_id"])].append((r["is_member"], None))
        assert r["user_id"].startswith("u_"), "user ids must be the pipeline's pseudonyms"
    assert dict(got) == ws and len(ws) > 5
    pr = scd2_from_raw(duck.raw_store, ("project.member_added", "project.member_removed"), ["project_gid"])
    got = defaultdict(list)
    for r in duck_rows(duck, "SELECT * FROM analytics.dim_project_membership ORDER BY valid_from"):
        got[(r["project_gid"], r["user_id"])].append((r["is_member"], r["role"]))
    assert dict(got) == pr and len(pr) > 5
    current = duck_rows(duck, "SELECT count(*) AS n FROM analytics.dim_project_membership WHERE is_current")
    assert current[0]["n"] == len(pr)


def test_source_freshness_runs_and_judges_the_newest_window(duck: Dbt) -> None:
    stale = duck("source", "freshness", check=False)  # the workload's windows are weeks old: stale
    assert stale.returncode == 1 and "ERROR STALE" in stale.stdout
    lenient = duck("source", "freshness", "--vars", "{freshness_warn_minutes: 10000000, freshness_error_minutes: 20000000}")
    assert lenient.returncode == 0 and "PASS" in lenient.stdout


def test_a_committed_replay_rebuilds_exactly_its_date_range(duck: Dbt, events: list[dict]) -> None:
    def marks(table: str) -> dict[date, set]:
        out: dict[date, set] = defaultdict(set)
        for r in duck_rows(duck, f"SELECT day, source_generations_through AS m FROM analytics.{table}"):
            out[r["day"]].add(r["m"])
        return out

    before_health, before_fanout = marks("workspace_daily_health"), marks("notification_fanout_daily")
    nothing = duck("build", "--select", "workspace_daily_health", "notification_fanout_daily")
    assert "nothing changed" in nothing.stdout  # no new generation: no day is rebuilt
    assert marks("workspace_daily_health") == before_health

    replayed = workload.FIRST_DAY + timedelta(days=3)
    data = duck.raw_store.parent
    pipeline("--source=raw", f"--from={replayed}", f"--to={replayed}", f"--dataDir={data}", "--progressSeconds=0")
    duck("build")

    after_health, after_fanout = marks("workspace_daily_health"), marks("notification_fanout_daily")
    rebuilt_health = {d for d in after_health if after_health[d] != before_health.get(d)}
    rebuilt_fanout = {d for d in after_fanout if after_fanout[d] != before_fanout.get(d)}
    # Exactly the replayed day, plus (for the mart with 7-day values) the 7 days whose rolling values read it.
    assert rebuilt_fanout == {replayed}
    assert rebuilt_health == {replayed + timedelta(days=k) for k in range(8)} & set(before_health)
    assert workload.FIRST_DAY in before_health and workload.FIRST_DAY not in rebuilt_health
    # and the values are still exact
    health = health_by_key(duck_rows(duck, "SELECT * FROM analytics.workspace_daily_health"))
    assert_rows_equal(health, workload.expected_workspace_daily_health(events), HEALTH_COLUMNS)


@pytest.fixture(scope="module")
def pg(postgres: Postgres, input_glob: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dbt]:
    url = postgres.create_database("warehouse_dbt")
    data = tmp_path_factory.mktemp("pg") / "collab-data"
    # --allowDevKey: the development pseudonym key is refused for a warehouse other than the local DuckDB file.
    pipeline("--source=files", f"--input={input_glob}", f"--dataDir={data}", f"--warehouseUrl={url}",
             "--allowDevKey=true", "--progressSeconds=0")
    dbt = Dbt(url, data / "raw", data.parent)
    dbt("build")
    yield dbt


def pg_rows(postgres: Postgres, sql: str) -> list[dict[str, Any]]:
    import psycopg2
    import psycopg2.extras

    with psycopg2.connect(host="127.0.0.1", port=postgres.port, user="postgres", dbname="warehouse_dbt") as c:
        with c.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql)
            return [dict(r) for r in cur.fetchall()]


def test_postgres_marts_equal_the_metrics_computed_from_the_input(
        pg: Dbt, postgres: Postgres, events: list[dict]) -> None:
    health = health_by_key(pg_rows(postgres, "SELECT * FROM analytics.workspace_daily_health"))
    assert_rows_equal(health, workload.expected_workspace_daily_health(events), HEALTH_COLUMNS)
    fanout = fanout_by_key(pg_rows(postgres, "SELECT * FROM analytics.notification_fanout_daily"))
    assert_rows_equal(fanout, workload.expected_fanout_daily(events), FANOUT_COLUMNS)
    # PostgreSQL reads no Parquet: the raw-store models are off there, and say so by their absence.
    tables = {r["table_name"] for r in pg_rows(
        postgres, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'")}
    assert "workspace_daily_health" in tables and "dim_workspace_membership" not in tables


def test_a_warehouse_held_by_another_process_is_a_one_line_error(duck: Dbt) -> None:
    path = duck.warehouse_url[len("jdbc:duckdb:"):]
    with duckdb.connect(path):  # as a running pipeline would hold it
        done = duck("build", check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"collab-dbt: {path} is open in another process")
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_explicit_window_rebuilds_those_days_and_leaves_the_mark(duck: Dbt) -> None:
    def marks() -> list[tuple]:
        return sorted((r["day"], r["m"]) for r in duck_rows(
            duck, "SELECT day, source_generations_through AS m FROM analytics.notification_fanout_daily"))

    before = marks()
    day = workload.FIRST_DAY + timedelta(days=9)
    done = duck("build", "--select", "notification_fanout_daily",
                "--vars", f"{{rebuild_from: '{day}', rebuild_to: '{day}'}}")
    assert f"rebuild window of \"warehouse\".\"analytics\".\"notification_fanout_daily\": {day}\n" in done.stdout
    # The mark (the newest one in the mart) stays: an explicit window must not hide what the generation log says
    # changed elsewhere; only the rebuilt day's rows were written.
    after = marks()
    assert max(m for _, m in after) == max(m for _, m in before)
    assert [r for r in after if r[0] != day] == [r for r in before if r[0] != day]


# What collab_erasure builds after bin/collab-erasure (airflow/dags/collab_erasure.py: COLLAB_DBT_ERASURE_SELECT).
ERASURE_SELECT = "+tag:user_level"
USER_LEVEL_MARTS = ["user_activity_daily", "dim_workspace_membership", "dim_project_membership"]


def test_an_erased_user_is_gone_from_every_user_level_model_after_the_next_build(duck: Dbt) -> None:
    """Last of the DuckDB tests on purpose: it leaves a user erased in the module's warehouse."""
    before = {m: duck_rows(duck, f"SELECT * FROM analytics.{m}") for m in USER_LEVEL_MARTS}
    users = [{r["user_id"] for r in before[m]} for m in USER_LEVEL_MARTS]
    erased = sorted(users[0] & users[1] & users[2])[0]  # a user with rows in every user-level mart
    # The on-run-start hook created the ledger (the pipeline does not): empty, with bin/collab-erasure's schema.
    ledger = duck_rows(duck, "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                             " WHERE table_schema = 'main' AND table_name = 'erasure_ledger' ORDER BY ordinal_position")
    assert [(c["column_name"], c["data_type"], c["is_nullable"]) for c in ledger] == [
        ("request_id", "VARCHAR", "NO"), ("pseudonym", "VARCHAR", "YES"), ("key_index", "VARCHAR", "YES"),
        ("source", "VARCHAR", "NO"), ("requested_at", "TIMESTAMP", "NO"), ("filed_at", "TIMESTAMP", "NO"),
        ("due_at", "TIMESTAMP", "NO"), ("completed_at", "TIMESTAMP", "YES")]
    assert duck_rows(duck, "SELECT count(*) AS n FROM main.erasure_ledger")[0]["n"] == 0

    path = duck.warehouse_url[len("jdbc:duckdb:"):]
    with duckdb.connect(path) as c:  # a filed request, not yet complete: it already hides the user
        c.execute("INSERT INTO main.erasure_ledger (request_id, pseudonym, source, requested_at, filed_at, due_at)"
                  " VALUES ('test-erasure-1', ?, 'operator', TIMESTAMP '2026-11-20 08:00:00',"
                  " TIMESTAMP '2026-11-20 08:00:05', TIMESTAMP '2026-11-23 08:00:05')", [erased])
    built = duck("build", "--select", ERASURE_SELECT)
    assert "no_erased_users_user_activity_daily_user_id" in built.stdout and "ERROR=0" in built.stdout

    def others(rows: list[dict]) -> Counter:
        return Counter(tuple(r.items()) for r in rows if r["user_id"] != erased)

    for m in USER_LEVEL_MARTS:
        after = duck_rows(duck, f"SELECT * FROM analytics.{m}")
        assert erased not in {r["user_id"] for r in after}, m
        assert others(after) == others(before[m]) and others(after), f"{m}: another user's rows changed"
    # No relation dbt built (the intermediate views too) holds the user.
    with_user = duck_rows(duck, "SELECT table_name FROM information_schema.columns"
                                " WHERE table_schema = 'analytics' AND column_name = 'user_id'")
    assert {r["table_name"] for r in with_user} >= {*USER_LEVEL_MARTS, "int_user_activity"}
    for r in with_user:
        n = duck_rows(duck, f"SELECT count(*) AS n FROM analytics.{r['table_name']} WHERE user_id = '{erased}'")
        assert n[0]["n"] == 0, r["table_name"]

    # The test can fail: the user's row back in a mart behind the filter's back, and the constant of a user erased
    # before processing in another, are each caught.
    row = next(r for r in before["user_activity_daily"] if r["user_id"] == erased)
    with duckdb.connect(path) as c:
        c.execute("INSERT INTO analytics.user_activity_daily VALUES (?, ?, ?, ?, ?, ?, ?)", list(row.values()))
        c.execute("INSERT INTO analytics.dim_project_membership SELECT * REPLACE"
                  " ('u_00000000000000000000000000000000' AS user_id, 'k-erased' AS membership_version_key)"
                  " FROM analytics.dim_project_membership LIMIT 1")
    caught = duck("test", "--select", "test_name:no_erased_users", check=False)
    assert caught.returncode == 1
    assert "FAIL 1 no_erased_users_user_activity_daily_user_id" in caught.stdout
    assert "FAIL 1 no_erased_users_dim_project_membership_user_id" in caught.stdout
    assert "PASS no_erased_users_dim_workspace_membership_user_id" in caught.stdout

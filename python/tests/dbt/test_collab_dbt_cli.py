"""bin/collab-dbt's translation of the pipeline's warehouse URL, and its one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from collab_dbt_harness import ROOT, run

sys.path.insert(0, str(ROOT / "python"))
from collab_dbt.warehouse import UsageError, parse  # noqa: E402


def test_a_relative_duckdb_file_is_resolved_like_the_pipeline_does(tmp_path: Path) -> None:
    target = parse("jdbc:duckdb:collab-data/warehouse.duckdb", tmp_path)
    assert target.name == "duckdb"
    assert target.env["COLLAB_DBT_DUCKDB_PATH"] == str(tmp_path / "collab-data" / "warehouse.duckdb")
    assert target.env["COLLAB_DBT_SOURCE_SCHEMA"] == "main"


def test_a_postgres_url_gives_host_port_database_user_and_password() -> None:
    target = parse("jdbc:postgresql://db.internal:6543/collab?user=dbt&password=s3cret&currentSchema=curated", Path("/"))
    assert target.name == "postgres"
    assert {k: target.env[k] for k in ("COLLAB_DBT_PG_HOST", "COLLAB_DBT_PG_PORT", "COLLAB_DBT_PG_DATABASE",
                                       "COLLAB_DBT_PG_USER", "COLLAB_DBT_PG_PASSWORD", "COLLAB_DBT_SOURCE_SCHEMA")} == {
        "COLLAB_DBT_PG_HOST": "db.internal", "COLLAB_DBT_PG_PORT": "6543", "COLLAB_DBT_PG_DATABASE": "collab",
        "COLLAB_DBT_PG_USER": "dbt", "COLLAB_DBT_PG_PASSWORD": "s3cret", "COLLAB_DBT_SOURCE_SCHEMA": "curated"}


def test_a_snowflake_url_gives_account_database_schema_and_never_takes_a_password() -> None:
    target = parse("jdbc:snowflake://xy12345.eu-west-1.snowflakecomputing.com/?user=dbt&db=collab&schema=curated"
                   "&warehouse=transform_wh&role=transformer", Path("/"))
    assert target.env["COLLAB_DBT_SF_ACCOUNT"] == "xy12345.eu-west-1"
    assert target.env["COLLAB_DBT_SOURCE_SCHEMA"] == "curated"
    assert target.env["COLLAB_DBT_SF_WAREHOUSE"] == "transform_wh"
    with pytest.raises(UsageError, match="COLLAB_SNOWFLAKE_PASSWORD"):
        parse("jdbc:snowflake://xy12345.snowflakecomputing.com/?user=dbt&password=oops", Path("/"))


@pytest.mark.parametrize("url", ["jdbc:mysql://h/db", "jdbc:duckdb:", "jdbc:postgresql://h", "postgres://h/db",
                                 "jdbc:snowflake://example.com/?user=x"])
def test_a_wrong_url_is_a_one_line_error_with_exit_code_2(url: str) -> None:
    done = run([str(ROOT / "bin" / "collab-dbt"), "build"], env={"COLLAB_WAREHOUSE_URL": url}, check=False)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("collab-pyenv:")]
    assert len(lines) == 1 and lines[0].startswith("collab-dbt: "), done.stderr
    assert "Traceback" not in done.stderr


def test_a_password_in_a_url_is_never_echoed() -> None:
    done = run([str(ROOT / "bin" / "collab-dbt"), "build"],
               env={"COLLAB_WAREHOUSE_URL": "jdbc:mysql://u:hunter2@h/db?password=hunter2"}, check=False)
    assert done.returncode == 2
    assert "hunter2" not in done.stderr


def test_a_missing_duckdb_warehouse_is_named(tmp_path: Path) -> None:
    done = run([str(ROOT / "bin" / "collab-dbt"), "build"],
               env={"COLLAB_WAREHOUSE_URL": f"jdbc:duckdb:{tmp_path}/none.duckdb", "COLLAB_RAW_STORE": str(tmp_path)},
               check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1:] == [
        f"collab-dbt: no warehouse at {tmp_path}/none.duckdb: run bin/collab-pipeline first, or set COLLAB_WAREHOUSE_URL"]
    assert len([line for line in done.stderr.splitlines() if not line.startswith("collab-pyenv:")]) == 1

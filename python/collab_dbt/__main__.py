"""bin/collab-dbt ARGS: dbt on the warehouse COLLAB_WAREHOUSE_URL names (see dbt/README.md)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from collab_dbt.warehouse import Target, UsageError, parse

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "dbt"
# Commands that never open a connection: they work without a warehouse.
OFFLINE_COMMANDS = {"parse", "deps", "clean", "ls", "list", "init", "debug"}


def raw_glob(raw_store: str, cwd: Path) -> tuple[str, bool]:
    """The read_parquet glob of the raw store, and whether it holds any Parquet file."""
    if "://" in raw_store:
        raise UsageError(
            f"COLLAB_RAW_STORE: DuckDB reads a local raw store here; '{raw_store}' is remote "
            "(on Snowflake the raw store is an external table, see dbt/snowflake/)"
        )
    path = Path(raw_store)
    if not path.is_absolute():
        path = cwd / path
    return str(path / "**" / "*.parquet"), any(path.glob("dt=*/hr=*/*.parquet"))


def environment(argv: list[str], environ: dict[str, str], cwd: Path) -> tuple[Target, dict[str, str]]:
    """The target and the full environment to run dbt with; raises UsageError for a wrong setting."""
    url = environ.get("COLLAB_WAREHOUSE_URL") or f"jdbc:duckdb:{ROOT / 'collab-data' / 'warehouse.duckdb'}"
    target = parse(url, cwd)
    env = dict(environ)
    env.update(target.env)
    command = next((a for a in argv if not a.startswith("-")), "")
    if target.name == "duckdb":
        assert target.duckdb_path is not None
        connects = bool(command) and command not in OFFLINE_COMMANDS
        if connects and not target.duckdb_path.is_file():
            raise UsageError(
                f"no warehouse at {target.duckdb_path}: run bin/collab-pipeline first, or set COLLAB_WAREHOUSE_URL"
            )
        raw = environ.get("COLLAB_RAW_STORE") or str(ROOT / "collab-data" / "raw")
        glob, has_files = raw_glob(raw, cwd)
        env["COLLAB_DBT_RAW_GLOB"] = glob
        if not has_files:
            env["COLLAB_DBT_RAW_ENABLED"] = "false"
            if connects:
                print(f"collab-dbt: no Parquet files under {raw}: the models of the raw store are skipped", file=sys.stderr)
    elif target.name == "postgres":
        env["COLLAB_DBT_RAW_ENABLED"] = "false"
    return target, env


def duckdb_in_use(path: Path) -> str | None:
    """The lock error if another process holds the DuckDB file (DuckDB allows one process at a time), else None."""
    import duckdb

    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            return str(e).splitlines()[0]
        raise
    return None


def main(argv: list[str]) -> int:
    try:
        target, env = environment(argv, dict(os.environ), Path.cwd())
    except UsageError as e:
        print(f"collab-dbt: {e}", file=sys.stderr)
        return 2
    command = next((a for a in argv if not a.startswith("-")), "")
    if target.duckdb_path is not None and command and command not in OFFLINE_COMMANDS and target.duckdb_path.is_file():
        busy = duckdb_in_use(target.duckdb_path)
        if busy:
            print(
                f"collab-dbt: {target.duckdb_path} is open in another process (a running pipeline?); DuckDB allows one"
                f" process at a time: try again when it has finished ({busy})",
                file=sys.stderr,
            )
            return 1
    args = list(argv)
    if command and command not in ("init",):
        # Where dbt writes its artifacts and logs can be moved (DBT_TARGET_PATH, DBT_LOG_PATH) for parallel runs.
        args += ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"
    os.execve(dbt, [dbt, *args], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

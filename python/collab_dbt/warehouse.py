"""Translates the pipeline's warehouse JDBC URL into the environment of dbt/profiles.yml.

The URL is the one ``--warehouseUrl`` takes: ``jdbc:duckdb:<file>``, ``jdbc:postgresql://host[:port]/db?user=..&password=..``
or ``jdbc:snowflake://<account>.snowflakecomputing.com/?user=..&db=..&schema=..&warehouse=..&role=..``. The result
holds only what the profile reads (``COLLAB_DBT_*``); secrets stay in the environment (a password in a PostgreSQL URL
is passed on as an environment variable, never on a command line or in a file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class UsageError(Exception):
    """A wrong URL or setting: reported as one line, exit code 2."""


@dataclass(frozen=True)
class Target:
    """A dbt target and the environment variables the profile reads for it."""

    name: str  # duckdb, postgres or snowflake
    env: dict[str, str]
    duckdb_path: Path | None = None


def _params(query: str) -> dict[str, str]:
    values = parse_qs(query, keep_blank_values=True)
    return {key: vals[-1] for key, vals in values.items()}


def parse(url: str, cwd: Path) -> Target:
    """The target of ``url``; relative DuckDB paths are resolved against ``cwd``, as the pipeline does."""
    if url.startswith("jdbc:duckdb:"):
        return _duckdb(url[len("jdbc:duckdb:"):], cwd)
    if url.startswith("jdbc:postgresql:"):
        return _postgres(url)
    if url.startswith("jdbc:snowflake:"):
        return _snowflake(url)
    raise UsageError(
        f"COLLAB_WAREHOUSE_URL must be a jdbc:duckdb:, jdbc:postgresql: or jdbc:snowflake: URL, got '{_redact(url)}'"
    )


def _duckdb(rest: str, cwd: Path) -> Target:
    path_text = rest.split("?", 1)[0]
    if path_text in ("", ":memory:") or path_text.startswith(":memory:"):
        raise UsageError("COLLAB_WAREHOUSE_URL: an in-memory DuckDB (jdbc:duckdb:) holds no curated tables; name the file")
    path = Path(path_text)
    if not path.is_absolute():
        path = cwd / path
    return Target(
        "duckdb",
        {"COLLAB_DBT_TARGET": "duckdb", "COLLAB_DBT_DUCKDB_PATH": str(path), "COLLAB_DBT_SOURCE_SCHEMA": "main"},
        duckdb_path=path,
    )


def _postgres(url: str) -> Target:
    parts = urlsplit(url[len("jdbc:"):])
    if not parts.hostname or not parts.path.strip("/"):
        raise UsageError(
            f"COLLAB_WAREHOUSE_URL: expected jdbc:postgresql://host[:port]/database[?user=..], got '{_redact(url)}'"
        )
    try:
        port = parts.port or 5432
    except ValueError:
        raise UsageError(f"COLLAB_WAREHOUSE_URL: bad port in '{_redact(url)}'") from None
    params = _params(parts.query)
    env = {
        "COLLAB_DBT_TARGET": "postgres",
        "COLLAB_DBT_PG_HOST": parts.hostname,
        "COLLAB_DBT_PG_PORT": str(port),
        "COLLAB_DBT_PG_DATABASE": unquote(parts.path.strip("/")),
        "COLLAB_DBT_PG_USER": params.get("user") or unquote(parts.username or "") or os.environ.get("PGUSER", "postgres"),
        "COLLAB_DBT_PG_PASSWORD": params.get("password") or unquote(parts.password or "")
        or os.environ.get("PGPASSWORD", ""),
        # The pipeline creates its tables in the connection's schema: public unless currentSchema says otherwise.
        "COLLAB_DBT_SOURCE_SCHEMA": (params.get("currentSchema") or "public").split(",")[0],
    }
    return Target("postgres", env)


def _snowflake(url: str) -> Target:
    parts = urlsplit(url[len("jdbc:"):])
    host = parts.hostname or ""
    if not host.endswith(".snowflakecomputing.com"):
        raise UsageError(
            "COLLAB_WAREHOUSE_URL: expected jdbc:snowflake://<account>.snowflakecomputing.com/?user=..&db=..,"
            f" got '{_redact(url)}'"
        )
    params = {key.lower(): value for key, value in _params(parts.query).items()}
    env = {
        "COLLAB_DBT_TARGET": "snowflake",
        "COLLAB_DBT_SF_ACCOUNT": params.get("account") or host[: -len(".snowflakecomputing.com")],
        "COLLAB_DBT_SF_USER": params.get("user") or os.environ.get("COLLAB_SNOWFLAKE_USER", ""),
        "COLLAB_DBT_SF_DATABASE": params.get("db") or "collab",
        "COLLAB_DBT_SOURCE_SCHEMA": params.get("schema") or "curated",
        "COLLAB_DBT_SF_WAREHOUSE": params.get("warehouse") or "collab_transform_wh",
        "COLLAB_DBT_SF_ROLE": params.get("role") or "collab_transformer",
        # By reference only: the password comes from the environment, never from the URL.
        "COLLAB_DBT_SF_PASSWORD": os.environ.get("COLLAB_SNOWFLAKE_PASSWORD", ""),
    }
    if "password" in params:
        raise UsageError("COLLAB_WAREHOUSE_URL: put no Snowflake password in the URL; set COLLAB_SNOWFLAKE_PASSWORD")
    return Target("snowflake", env)


def _redact(url: str) -> str:
    """The URL without its query string (which may hold a password) and without user:password@."""
    head = url.split("?", 1)[0]
    if "@" in head:
        scheme, _, rest = head.partition("//")
        head = scheme + "//" + rest.split("@", 1)[1]
    return head

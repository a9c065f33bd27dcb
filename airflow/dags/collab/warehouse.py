"""The few warehouse reads of the supervisor: the dates of windows due a correction, and how fresh the curated
tables are. The embedded DuckDB file (a jdbc:duckdb: URL) is read directly, read-only; any other warehouse
(PostgreSQL, Snowflake) through the Airflow connection COLLAB_WAREHOUSE_CONN_ID (default collab_warehouse), whose
provider must be installed."""
from __future__ import annotations

from datetime import date, datetime, timezone

from collab.config import CollabSettings, setting

CORRECTIONS_DUE_DATES = (
    "SELECT CAST(window_start AS DATE) AS d, MAX(generation) AS g, MAX(recorded_at) AS r"
    " FROM pipeline_corrections_due GROUP BY 1 ORDER BY 1"
)
LATEST_MINUTE_WINDOW = "SELECT MAX(window_end) FROM active_editors WHERE granularity = 'minute'"


def query(settings: CollabSettings, sql: str) -> list[tuple]:
    url = settings.effective_warehouse_url
    if url.startswith("jdbc:duckdb:"):
        import duckdb

        with duckdb.connect(url[len("jdbc:duckdb:"):], read_only=True) as con:
            return con.execute(sql).fetchall()
    from airflow.sdk import BaseHook

    conn_id = setting("COLLAB_WAREHOUSE_CONN_ID", "collab_warehouse")
    return BaseHook.get_connection(conn_id).get_hook().get_records(sql)


def corrections_due(settings: CollabSettings) -> list[tuple[date, int, str]]:
    """Per date with windows due a correction: the date, the newest generation that recorded one, and when the
    newest of its rows was recorded, as a stamp (UTC, to the microsecond). A correction replay deletes the rows of
    its dates, so a row recorded for the same date afterwards, even under the same generation, has a newer stamp."""
    return [(r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0])[:10]), int(r[1]), recorded_stamp(r[2]))
            for r in query(settings, CORRECTIONS_DUE_DATES)]


def recorded_stamp(value: datetime | str) -> str:
    """A row's recorded_at as 20261103T101500123456: UTC when the warehouse says which zone (Snowflake's
    TIMESTAMP_LTZ, shown in the session's zone), as stored otherwise."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y%m%dT%H%M%S%f")


def latest_minute_window(settings: CollabSettings) -> datetime | None:
    value = query(settings, LATEST_MINUTE_WINDOW)[0][0]
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

"""The Snowflake target compiles offline (Snowflake itself cannot be reached from here)."""

from __future__ import annotations

from pathlib import Path

from collab_dbt_harness import Dbt


def test_every_model_compiles_to_snowflake_sql_without_a_connection(tmp_path: Path) -> None:
    dbt = Dbt("jdbc:snowflake://offline.snowflakecomputing.com/?user=dbt&db=collab&schema=curated&warehouse=wh",
              tmp_path / "no-raw-store", tmp_path)
    # A dummy password: the Snowflake connector refuses an empty one before dbt decides it needs no connection.
    dbt.extra_env["COLLAB_SNOWFLAKE_PASSWORD"] = "not-a-secret"
    dbt("parse")
    dbt("compile", "--no-introspect", "--no-populate-cache")
    compiled = tmp_path / "target" / "compiled" / "collab" / "models"
    membership = (compiled / "intermediate" / "int_project_membership_changes.sql").read_text()
    assert "parse_json(payload_json):member_user_gid::varchar" in membership
    assert "from collab.raw.raw_events" in (compiled / "staging" / "stg_raw__events.sql").read_text()
    assert "from collab.curated.notification_fanout" in (
        compiled / "staging" / "stg_collab__notification_fanout.sql").read_text()
    activity = (compiled / "intermediate" / "int_user_activity.sql").read_text()
    assert "lateral flatten(input => parse_json(payload_json):mentioned_user_gids) as element" in activity
    assert "element.value::varchar" in activity and "unnest(" not in activity
    assert len(list(compiled.glob("*/*.sql"))) == 17  # every model (tests compile into folders of their own)
    # Erased users are left out against the ledger next to the curated tables; the hook's DDL is Snowflake's.
    assert "select 1 from collab.curated.erasure_ledger as erasure" in activity
    ddl = dbt("compile", "--no-introspect", "--no-populate-cache", "--inline",
              "{{ adapter.dispatch('collab_erasure_ledger_ddl', 'collab')(source('collab', 'erasure_ledger')) }}")
    assert "create table if not exists collab.curated.erasure_ledger (" in ddl.stdout
    assert "requested_at timestamp_ntz not null" in ddl.stdout and "check (" not in ddl.stdout

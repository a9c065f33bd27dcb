"""The DAGs' shared logic (airflow/dags/collab) without a scheduler: dates, plans, commands, EMR steps, Flink state,
warehouse reads."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from collab import config, flink
from collab.commands import audit_command, local_pipeline_command, plan_raw_replay, raw_dates_present, replay_args
from collab.dates import closed, contiguous_ranges, correction_days, days_between
from collab.emr import replay_steps
from collab import warehouse


def settings_for(tmp_path: Path, **overrides) -> config.CollabSettings:
    base = dict(home=Path("/repo"), data_dir=tmp_path, raw_store=None, quarantine_store=None, warehouse_url=None)
    base.update(overrides)
    return config.CollabSettings(**base)


def test_correction_replays_the_two_days_before_the_interval_end():
    end = datetime(2026, 11, 4, 3, 0, tzinfo=timezone.utc)
    assert correction_days(end) == [date(2026, 11, 2), date(2026, 11, 3)]


def test_a_range_longer_than_30_days_or_reversed_is_refused():
    assert len(days_between(date(2026, 10, 1), date(2026, 10, 30))) == 30
    with pytest.raises(ValueError, match="31 days; a replay takes at most 30"):
        days_between(date(2026, 10, 1), date(2026, 10, 31))
    with pytest.raises(ValueError, match="after"):
        days_between(date(2026, 10, 2), date(2026, 10, 1))


def test_dates_group_into_consecutive_ranges():
    days = [date(2026, 11, 5), date(2026, 11, 1), date(2026, 11, 2)]
    assert contiguous_ranges(days) == [(date(2026, 11, 1), date(2026, 11, 2)), (date(2026, 11, 5), date(2026, 11, 5))]


def test_days_without_raw_files_are_skipped_with_a_log_line(tmp_path, caplog):
    for d in ("2026-11-01", "2026-11-03"):
        part = tmp_path / "raw" / f"dt={d}" / "hr=07"
        part.mkdir(parents=True)
        (part / "part-g1-0.parquet").write_bytes(b"PAR1")
    (tmp_path / "raw" / "dt=2026-11-02" / "hr=00").mkdir(parents=True)  # a partition without files
    s = settings_for(tmp_path)
    days = days_between(date(2026, 11, 1), date(2026, 11, 4))
    assert raw_dates_present(s, days) == [date(2026, 11, 1), date(2026, 11, 3)]
    with caplog.at_level(logging.INFO, logger="collab.commands"):
        assert plan_raw_replay(s, days) == [["2026-11-01", "2026-11-01"], ["2026-11-03", "2026-11-03"]]
    assert "skipping 2026-11-02: no raw data" in caplog.text
    assert "skipping 2026-11-04: no raw data" in caplog.text


def test_local_command_names_the_configured_stores_and_no_default_ones(tmp_path):
    s = settings_for(tmp_path, warehouse_url="jdbc:postgresql://127.0.0.1:55432/collab", pipeline_args=["--x=1"])
    cmd = local_pipeline_command(s, replay_args("raw", "2026-11-01", "2026-11-02", dry_run=True))
    assert cmd[0] == "/repo/bin/collab-pipeline"
    assert cmd[1:5] == ["--source=raw", "--from=2026-11-01", "--to=2026-11-02", "--dryRun=true"]
    assert f"--dataDir={tmp_path}" in cmd and "--warehouseUrl=jdbc:postgresql://127.0.0.1:55432/collab" in cmd
    assert not any(a.startswith("--rawStore") for a in cmd) and cmd[-1] == "--x=1"
    with pytest.raises(ValueError):
        replay_args("kafka", "2026-11-01", "2026-11-01", False)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COLLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLLAB_RAW_STORE", "s3://b/raw")
    monkeypatch.setenv("COLLAB_EMR_CLUSTER_ID", "j-ABC")
    monkeypatch.setenv("COLLAB_PIPELINE_ARGS", "--pseudonymKey=env:KEY --allowDevKey=false")
    s = config.load()
    assert s.on_emr and s.effective_raw_store == "s3://b/raw"
    assert s.effective_warehouse_url == f"jdbc:duckdb:{tmp_path / 'warehouse.duckdb'}"
    assert s.pipeline_args == ["--pseudonymKey=env:KEY", "--allowDevKey=false"]
    assert s.emr_pipeline_args == [
        "--pseudonymKey=file:/etc/collab-pipeline/pseudonym.key",
        "--userKeyStore=jdbc:postgresql://collab-user-keys.internal:5432/collab_user_keys?user=collab_pipeline&sslmode=verify-full",
    ]


def test_emr_steps_run_each_range_attached_and_keep_the_dry_run_diff(tmp_path):
    s = settings_for(
        tmp_path, raw_store="s3://raw-bucket/raw", warehouse_url="jdbc:postgresql://db/collab",
        emr_cluster_id="j-1", emr_pipeline_args=["--pseudonymKey=file:/k"], emr_artifact_store="s3://art/dry-runs",
    )
    steps = replay_steps(s, "raw", [["2026-11-01", "2026-11-02"], ["2026-11-05", "2026-11-05"]], True, "dag/k")
    assert [st["Name"] for st in steps] == [
        "collab-raw-replay-2026-11-01-2026-11-02-dry-run", "collab-raw-replay-2026-11-05-2026-11-05-dry-run",
        "collab-keep-dry-run-diffs-dag-k",
    ]
    args = steps[0]["HadoopJarStep"]["Args"]
    assert args[:5] == ["flink", "run", "-t", "yarn-per-job", "-Dyarn.application.name=" + steps[0]["Name"]]
    # The replay's own TaskManagers use the parallel collector; the stream's cluster configuration is left alone.
    assert args[5] == "-Denv.java.opts.taskmanager=-XX:+UseParallelGC"
    assert "--rawStore=s3://raw-bucket/raw" in args and "--dryRun=true" in args and args[-1] == "--pseudonymKey=file:/k"
    assert all(st["ActionOnFailure"] == "CANCEL_AND_WAIT" for st in steps)
    assert steps[-1]["HadoopJarStep"]["Args"][-1] == "s3://art/dry-runs/dag/k/"
    commit = replay_steps(s, "raw", [["2026-11-01", "2026-11-01"]], False, "dag/k")
    assert len(commit) == 1 and "--dryRun=true" not in commit[0]["HadoopJarStep"]["Args"]


def test_flink_stream_state_from_the_jobs_overview():
    jobs = [
        {"jid": "a", "name": "collabpipeline-root-1", "state": "FAILED", "start-time": 1},
        {"jid": "b", "name": "other", "state": "RUNNING", "start-time": 2},
    ]
    assert flink.stream_state(jobs, "collab") == ("down", jobs[0])
    jobs.append({"jid": "c", "name": "collabpipeline-root-2", "state": "RESTARTING", "start-time": 3})
    assert flink.stream_state(jobs, "collab")[0] == "alive"
    assert flink.stream_state([], "collab") == ("absent", None)


def test_corrections_due_and_freshness_read_the_duckdb_warehouse(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE pipeline_corrections_due (window_start TIMESTAMP, granularity VARCHAR,"
                    " generation BIGINT, recorded_at TIMESTAMP)")
        con.execute("INSERT INTO pipeline_corrections_due VALUES"
                    " ('2026-11-02 23:59:00', 'minute', 7, '2026-11-03 00:01:02.5'),"
                    " ('2026-11-03 00:00:00', 'day', 9, '2026-11-03 12:00:00'),"
                    " ('2026-11-03 10:00:00', 'hour', 9, '2026-11-03 12:30:00.000001')")
        con.execute("CREATE TABLE active_editors (window_start TIMESTAMP, window_end TIMESTAMP, granularity VARCHAR)")
        con.execute("INSERT INTO active_editors VALUES ('2026-11-03 10:00', '2026-11-03 10:01', 'minute'),"
                    " ('2026-11-03 10:00', '2026-11-03 11:00', 'hour')")
    s = settings_for(tmp_path)
    assert warehouse.corrections_due(s) == [(date(2026, 11, 2), 7, "20261103T000102500000"),
                                            (date(2026, 11, 3), 9, "20261103T123000000001")]
    assert warehouse.latest_minute_window(s) == datetime(2026, 11, 3, 10, 1, tzinfo=timezone.utc)


def test_a_recorded_stamp_is_in_utc_when_the_warehouse_gives_a_zone():
    # Snowflake's TIMESTAMP_LTZ comes back in the session's zone: the same instant must give the same stamp.
    berlin = timezone(timedelta(hours=1))
    assert warehouse.recorded_stamp(datetime(2026, 11, 3, 13, 0, 0, 5, tzinfo=berlin)) == "20261103T120000000005"
    assert warehouse.recorded_stamp(datetime(2026, 11, 3, 12, 0, 0, 5, tzinfo=timezone.utc)) == "20261103T120000000005"
    assert warehouse.recorded_stamp("2026-11-03 12:00:00") == "20261103T120000000000"


def test_a_date_is_closed_three_hours_after_it_ends():
    # 2h allowed lateness + slack: the windows of 11-02 are final at 11-03 03:00 UTC, not a minute before.
    assert not closed(date(2026, 11, 2), datetime(2026, 11, 3, 2, 59, tzinfo=timezone.utc))
    assert closed(date(2026, 11, 2), datetime(2026, 11, 3, 3, 0, tzinfo=timezone.utc))
    assert not closed(date(2026, 11, 3), datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc))


def test_audit_command_names_the_stores_and_asks_for_the_rewrite_only_when_told(tmp_path):
    s = settings_for(tmp_path, raw_store="s3://b/raw", pipeline_args=["--x=1"])
    cmd = audit_command(s, "2026-11-02", "2026-11-03")
    assert cmd[:3] == ["/repo/bin/collab-audit", "--from=2026-11-02", "--to=2026-11-03"]
    assert f"--dataDir={tmp_path}" in cmd and "--rawStore=s3://b/raw" in cmd and "--x=1" in cmd
    assert "--rewriteCompleteness=true" not in cmd
    assert audit_command(s, "2026-11-02", "2026-11-02", rewrite_completeness=True)[-1] == "--rewriteCompleteness=true"

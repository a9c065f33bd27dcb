-- Stage tables: where SnowflakeIO lands the pipeline's gzip CSV files, by COPY INTO in batch and by Snowpipe in
-- streaming (04_loading.sql), before merge_<table>.sql moves them into the curated tables.
--
-- The columns are the curated table's, in the same order, then generation, pane_index and seen_whole (FALSE on a row of
-- a window the writing stream could not see whole, PartialWindows; see the merge files): COPY loads CSV fields by
-- position, and WriteSnowflakeCurated's CSV mapper writes exactly this order (the offline test loads the staged
-- files into tables built from this file, so a mismatch fails it). No key: a stage table holds every staged pane,
-- duplicates included; the MERGE picks the newest per key and then deletes the staged rows the target covers.
--
-- TRANSIENT: the rows are transit data that can be re-staged, so no Fail-safe storage is paid for; one day of Time
-- Travel is enough to inspect a bad load. The append-only streams in 04_loading.sql extend that retention by themselves
-- while unconsumed (up to MAX_DATA_EXTENSION_TIME_IN_DAYS).
--
-- An account whose stage tables predate seen_whole: stop the job, let the tasks drain the stage tables, then
--   ALTER TABLE <table>_stage ADD COLUMN seen_whole BOOLEAN DEFAULT TRUE NOT NULL;
-- PUT the new merge files and start the new job (an old job's files have one field fewer and would fail the load).

CREATE TRANSIENT TABLE IF NOT EXISTS active_editors_stage (
  window_start    TIMESTAMP_NTZ(3) NOT NULL,
  window_end      TIMESTAMP_NTZ(3) NOT NULL,
  granularity     VARCHAR NOT NULL,
  workspace_gid   VARCHAR NOT NULL,
  active_editors  BIGINT NOT NULL,
  generation      BIGINT NOT NULL,
  pane_index      BIGINT NOT NULL,
  seen_whole      BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TRANSIENT TABLE IF NOT EXISTS task_update_velocity_stage (
  window_start     TIMESTAMP_NTZ(3) NOT NULL,
  window_end       TIMESTAMP_NTZ(3) NOT NULL,
  granularity      VARCHAR NOT NULL,
  workspace_gid    VARCHAR NOT NULL,
  task_updates     BIGINT NOT NULL,
  tasks_touched    BIGINT NOT NULL,
  tasks_completed  BIGINT NOT NULL,
  generation       BIGINT NOT NULL,
  pane_index       BIGINT NOT NULL,
  seen_whole       BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TRANSIENT TABLE IF NOT EXISTS notification_fanout_stage (
  window_start        TIMESTAMP_NTZ(3) NOT NULL,
  window_end          TIMESTAMP_NTZ(3) NOT NULL,
  granularity         VARCHAR NOT NULL,
  workspace_gid       VARCHAR NOT NULL,
  trigger_event_type  VARCHAR NOT NULL,
  trigger_events      BIGINT NOT NULL,
  notifications       BIGINT NOT NULL,
  fanout_avg          FLOAT NOT NULL,
  fanout_max          BIGINT NOT NULL,
  generation          BIGINT NOT NULL,
  pane_index          BIGINT NOT NULL,
  seen_whole          BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TRANSIENT TABLE IF NOT EXISTS pipeline_completeness_stage (
  window_start  TIMESTAMP_NTZ(3) NOT NULL,
  granularity   VARCHAR NOT NULL,
  stage         VARCHAR NOT NULL,
  events        BIGINT NOT NULL,
  generation    BIGINT NOT NULL,
  pane_index    BIGINT NOT NULL,
  seen_whole    BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

-- The canaries the job stages for pipeline_canary (WriteSnowflakeCanaries), in the order its CSV mapper writes:
-- no fencing columns (a canary row is inserted once and never replaced), no written_at (the MERGE sets it).
CREATE TRANSIENT TABLE IF NOT EXISTS pipeline_canary_stage (
  event_id          VARCHAR NOT NULL,
  source_partition  BIGINT NOT NULL,
  occurred_at       TIMESTAMP_NTZ(3) NOT NULL,
  arrived_at        TIMESTAMP_NTZ(3) NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

-- Every run of the streaming MERGE tasks (04_loading.sql) records how many staged rows it found: an audit trail for
-- on-call ("is the merge keeping up?"), and the statement that consumes each task's stream.
CREATE TABLE IF NOT EXISTS curated_merge_runs (
  table_name      VARCHAR NOT NULL,
  staged_rows     BIGINT NOT NULL,
  ran_at          TIMESTAMP_LTZ NOT NULL
)
COMMENT = 'One row per run of a merge_<table> task: rows staged since the previous run.';

-- Replay stage tables: where a raw replay (--source=raw, WriteSnowflakeCurated.withReplayStaging) COPYs its rows under
-- its own generation, for the launcher to diff and commit with commit_replay.sql. Separate from the live stage tables
-- because the streaming tasks of 04_loading.sql merge whatever lands in those; nothing merges these, so a replay's
-- rows reach the curated tables only through its commit (or never: a dry run or a failed replay deletes them).
-- Only the metric tables: a replay never rewrites pipeline_completeness. Same columns and CSV order as the live stage
-- tables (the same mapper writes them; seen_whole is always TRUE for a replay). No key: the commit takes the newest
-- pane per key of its generation.

CREATE TRANSIENT TABLE IF NOT EXISTS active_editors_replay_stage (
  window_start    TIMESTAMP_NTZ(3) NOT NULL,
  window_end      TIMESTAMP_NTZ(3) NOT NULL,
  granularity     VARCHAR NOT NULL,
  workspace_gid   VARCHAR NOT NULL,
  active_editors  BIGINT NOT NULL,
  generation      BIGINT NOT NULL,
  pane_index      BIGINT NOT NULL,
  seen_whole      BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TRANSIENT TABLE IF NOT EXISTS task_update_velocity_replay_stage (
  window_start     TIMESTAMP_NTZ(3) NOT NULL,
  window_end       TIMESTAMP_NTZ(3) NOT NULL,
  granularity      VARCHAR NOT NULL,
  workspace_gid    VARCHAR NOT NULL,
  task_updates     BIGINT NOT NULL,
  tasks_touched    BIGINT NOT NULL,
  tasks_completed  BIGINT NOT NULL,
  generation       BIGINT NOT NULL,
  pane_index       BIGINT NOT NULL,
  seen_whole       BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TRANSIENT TABLE IF NOT EXISTS notification_fanout_replay_stage (
  window_start        TIMESTAMP_NTZ(3) NOT NULL,
  window_end          TIMESTAMP_NTZ(3) NOT NULL,
  granularity         VARCHAR NOT NULL,
  workspace_gid       VARCHAR NOT NULL,
  trigger_event_type  VARCHAR NOT NULL,
  trigger_events      BIGINT NOT NULL,
  notifications       BIGINT NOT NULL,
  fanout_avg          FLOAT NOT NULL,
  fanout_max          BIGINT NOT NULL,
  generation          BIGINT NOT NULL,
  pane_index          BIGINT NOT NULL,
  seen_whole          BOOLEAN NOT NULL
)
DATA_RETENTION_TIME_IN_DAYS = 1;

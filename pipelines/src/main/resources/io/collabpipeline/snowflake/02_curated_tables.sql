-- Curated tables of contract 2 in Snowflake (run as collab_owner, see 01_account.sql, in the database and schema that
-- --snowflakeDatabase and --snowflakeSchema name; every statement is idempotent, so the file can be re-applied).
--
-- Besides the contract-2 columns, every table carries the two fencing columns of CuratedTables ("generations and
-- fencing"): generation (the job's generation: its start time in epoch ms unless --generation=N) and pane_index (the
-- Beam pane that produced the row). The MERGE (merge_<table>.sql) keeps, per key, the row with the greatest
-- (generation, pane_index), so an older pane or an older job never overwrites a newer one.
--
-- Types: window timestamps are TIMESTAMP_NTZ(3) holding UTC (the pipeline stages them as UTC text, and an NTZ value
-- cannot be shifted by a session time zone); counts are BIGINT; fanout_avg is FLOAT (a double in Snowflake).
-- The PRIMARY KEY is not enforced by Snowflake: it documents the key that the MERGE upholds, for dbt and BI tools.
-- CLUSTER BY (granularity, window day): dashboards and the MERGE's join both prune by recent windows of one granularity.

CREATE TABLE IF NOT EXISTS active_editors (
  window_start    TIMESTAMP_NTZ(3) NOT NULL,
  window_end      TIMESTAMP_NTZ(3) NOT NULL,
  granularity     VARCHAR NOT NULL,
  workspace_gid   VARCHAR NOT NULL,
  active_editors  BIGINT NOT NULL,
  generation      BIGINT NOT NULL,
  pane_index      BIGINT NOT NULL,
  CONSTRAINT active_editors_pk PRIMARY KEY (window_start, granularity, workspace_gid)
)
CLUSTER BY (granularity, TO_DATE(window_start))
COMMENT = 'Distinct editors per window and workspace (contract 2). Written only by the MERGE of merge_active_editors.sql.';

CREATE TABLE IF NOT EXISTS task_update_velocity (
  window_start     TIMESTAMP_NTZ(3) NOT NULL,
  window_end       TIMESTAMP_NTZ(3) NOT NULL,
  granularity      VARCHAR NOT NULL,
  workspace_gid    VARCHAR NOT NULL,
  task_updates     BIGINT NOT NULL,
  tasks_touched    BIGINT NOT NULL,
  tasks_completed  BIGINT NOT NULL,
  generation       BIGINT NOT NULL,
  pane_index       BIGINT NOT NULL,
  CONSTRAINT task_update_velocity_pk PRIMARY KEY (window_start, granularity, workspace_gid)
)
CLUSTER BY (granularity, TO_DATE(window_start))
COMMENT = 'Task events, distinct tasks and completions per window and workspace (contract 2).';

CREATE TABLE IF NOT EXISTS notification_fanout (
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
  CONSTRAINT notification_fanout_pk PRIMARY KEY (window_start, granularity, workspace_gid, trigger_event_type)
)
CLUSTER BY (granularity, TO_DATE(window_start))
COMMENT = 'Notifications per triggering event type, window and workspace (contract 2).';

CREATE TABLE IF NOT EXISTS pipeline_completeness (
  window_start  TIMESTAMP_NTZ(3) NOT NULL,
  granularity   VARCHAR NOT NULL,
  stage         VARCHAR NOT NULL,
  events        BIGINT NOT NULL,
  generation    BIGINT NOT NULL,
  pane_index    BIGINT NOT NULL,
  CONSTRAINT pipeline_completeness_pk PRIMARY KEY (window_start, granularity, stage)
)
COMMENT = 'Records per pipeline stage by hour/day of arrival (contract 2); small, so not clustered.';

-- The metric windows a stream that started without the previous job's state (checkpoint lost, new cluster, --fresh)
-- could not see whole, one row per (window, granularity, generation of that stream): recorded by the metric tables'
-- MERGE files from the staged rows flagged seen_whole = FALSE, in the same columns as on DuckDB and PostgreSQL.
-- The MERGE that records a window inserts it only where it is missing; the key is not enforced by Snowflake, so two
-- tables' MERGEs recording the same new window at the same instant could both insert it: read it with DISTINCT.
-- A raw replay's commit (commit_replay.sql) deletes the rows of its date range in its commit transaction.
CREATE TABLE IF NOT EXISTS pipeline_corrections_due (
  window_start  TIMESTAMP_NTZ(3) NOT NULL,
  granularity   VARCHAR NOT NULL,
  generation    BIGINT NOT NULL,
  recorded_at   TIMESTAMP_LTZ NOT NULL,
  CONSTRAINT pipeline_corrections_due_pk PRIMARY KEY (window_start, granularity, generation)
)
COMMENT = 'Metric windows a stateless start could not see whole, due for a correction replay. Written by merge_<table>.sql, cleared by commit_replay.sql.';

-- The freshness probe's tables (CanaryTables; docs/monitoring.md, "The canary probe"), in the columns they have on
-- DuckDB and PostgreSQL.
--
-- pipeline_canary: one row per canary event (workspace 0, never a product event) that went through the job's
-- validation and dedup, written only by merge_pipeline_canary.sql (insert once, never replaced; a re-run or a
-- re-staged file changes nothing). occurred_at and arrived_at are the event's, staged as UTC text like the curated
-- windows; written_at is when the row landed in this table: CURRENT_TIMESTAMP of the MERGE that inserted it (on DuckDB
-- and PostgreSQL the writer's clock at its insert), so written_at - arrived_at is the job plus, on Snowflake, the
-- staging, Snowpipe and the task's schedule. TIMESTAMP_LTZ: an absolute instant, like recorded_at above.
-- Small (one row per partition per probe interval: 8,640 a day per partition at 10 s); the probe reads it by
-- occurred_at, so CLUSTER BY is not worth paying for.
CREATE TABLE IF NOT EXISTS pipeline_canary (
  event_id          VARCHAR NOT NULL,
  source_partition  BIGINT NOT NULL,
  occurred_at       TIMESTAMP_NTZ(3) NOT NULL,
  arrived_at        TIMESTAMP_NTZ(3) NOT NULL,
  written_at        TIMESTAMP_LTZ NOT NULL,
  CONSTRAINT pipeline_canary_pk PRIMARY KEY (event_id)
)
COMMENT = 'Canary events of the freshness probe, as the job wrote them. Written only by merge_pipeline_canary.sql.';

-- pipeline_freshness: written by the probe (bin/collab-canary), one row per canary it published; queryable_at and
-- latency_ms stay NULL until the probe first finds the canary's pipeline_canary row, and are set once.
CREATE TABLE IF NOT EXISTS pipeline_freshness (
  event_id          VARCHAR NOT NULL,
  topic             VARCHAR NOT NULL,
  source_partition  BIGINT NOT NULL,
  published_at      TIMESTAMP_NTZ(3) NOT NULL,
  queryable_at      TIMESTAMP_NTZ(3),
  latency_ms        BIGINT,
  CONSTRAINT pipeline_freshness_pk PRIMARY KEY (event_id)
)
COMMENT = 'One row per canary the freshness probe published: publication, first seen queryable, latency.';

-- The generation log, the same columns as on DuckDB and PostgreSQL (GenerationLog): one row per generation (stream
-- epoch, batch run, replay) that wrote or staged curated rows, with its kind, date range (replays), status (running,
-- committed, dry_run, failed) and row counts. The launcher begins and finishes each entry; a replay's entry becomes
-- committed only inside commit_replay.sql, in the transaction that replaces its windows. Timestamps are instants
-- (LTZ), written with CURRENT_TIMESTAMP or from UTC text with an explicit offset.
CREATE TABLE IF NOT EXISTS pipeline_generations (
  generation       BIGINT NOT NULL,
  kind             VARCHAR NOT NULL,
  range_from       DATE,
  range_to         DATE,
  status           VARCHAR NOT NULL,
  started_at       TIMESTAMP_LTZ NOT NULL,
  finished_at      TIMESTAMP_LTZ,
  rows_staged      BIGINT,
  rows_committed   BIGINT,
  seen_whole_from  TIMESTAMP_LTZ,
  CONSTRAINT pipeline_generations_pk PRIMARY KEY (generation)
)
COMMENT = 'One row per generation that wrote or staged curated rows: kind, range, status, counts (GenerationLog).';

-- The lost-event audit's reports (bin/collab-audit, docs/monitoring.md): the columns the audit writes on every
-- warehouse; on DuckDB and PostgreSQL it creates the table itself, here operations do. One summary row per audit
-- (source_kind '*', lost = the audit's total), then one row per source partition and arrival hour. The exporter reads
-- the newest summary row (collab_audit_lost_events).
CREATE TABLE IF NOT EXISTS pipeline_audit (
  audit_id          BIGINT NOT NULL,
  from_date         DATE NOT NULL,
  to_date           DATE NOT NULL,
  source_kind       VARCHAR NOT NULL,
  source_name       VARCHAR NOT NULL,
  source_partition  INTEGER NOT NULL,
  hour_start        TIMESTAMP_NTZ(3),
  first_offset      BIGINT,
  last_offset       BIGINT,
  raw_written       BIGINT,
  quarantined       BIGINT,
  duplicate         BIGINT,
  lost              BIGINT NOT NULL,
  lost_offsets      VARCHAR
)
COMMENT = 'Reports of the lost-event audit (bin/collab-audit): per source partition and arrival hour, offsets accounted and lost.';

-- How staged files reach the stage tables, and how the streaming MERGE runs. Apply after 03_stage_tables.sql, as
-- collab_owner.
--
-- Values to adapt per deployment (they must match the pipeline's options):
--   s3://collab-curated-staging/snowflake/      = --snowflakeStagingBucket (WriteSnowflakeCurated stages each table
--                                                 under <bucket><table>/, e.g. .../snowflake/active_editors/)
--   collab_curated_s3                           = --snowflakeStorageIntegration
--   <table>_stage_pipe                          = --snowflakeSnowPipe (default {table}_stage_pipe)
--   arn:aws:iam::123456789012:role/...          = the IAM role Snowflake assumes to read the bucket
-- S3 keeps the staged files: give the staging prefix a lifecycle rule (e.g. expire after 7 days); Snowflake's load
-- metadata remembers loaded files for 64 days, so a retried COPY or pipe never loads a file twice meanwhile.

-- The format SnowflakeIO writes: gzip CSV, fields optionally enclosed in single quotes (a quote inside a field is
-- doubled), timestamps as UTC text with milliseconds. It equals the inline format of SnowflakeIO's batch COPY
-- (TYPE=CSV COMPRESSION=GZIP FIELD_OPTIONALLY_ENCLOSED_BY=''''), so batch and Snowpipe parse the files alike.
-- A column-count mismatch fails the load rather than shifting values into the wrong columns.
CREATE FILE FORMAT IF NOT EXISTS collab_curated_csv
  TYPE = CSV
  COMPRESSION = GZIP
  FIELD_DELIMITER = ','
  FIELD_OPTIONALLY_ENCLOSED_BY = ''''
  TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF3'
  ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE
  COMMENT = 'Staged curated rows written by SnowflakeIO (WriteSnowflakeCurated).';

-- External stage over the staging prefix: the pipes read from it (the batch COPY names the S3 URL and the storage
-- integration itself).
CREATE STAGE IF NOT EXISTS collab_curated_staging
  URL = 's3://collab-curated-staging/snowflake/'
  STORAGE_INTEGRATION = collab_curated_s3
  FILE_FORMAT = collab_curated_csv
  COMMENT = 'Curated rows staged by the pipeline, one folder per curated table.';

-- Streaming: one pipe per stage table. AUTO_INGEST = FALSE because SnowflakeIO calls the Snowpipe REST API
-- (insertFiles) with the names of the files it has just staged, relative to the pipe's folder; no S3 event
-- notification or SQS queue is needed. ON_ERROR = ABORT_STATEMENT: a bad file is reported in COPY_HISTORY and loads
-- nothing, instead of the Snowpipe default SKIP_FILE silently dropping part of it.
CREATE PIPE IF NOT EXISTS active_editors_stage_pipe
  AUTO_INGEST = FALSE
  COMMENT = 'Snowpipe of WriteSnowflakeCurated (streaming) into active_editors_stage.'
AS
  COPY INTO active_editors_stage
  FROM @collab_curated_staging/active_editors/
  FILE_FORMAT = (FORMAT_NAME = 'collab_curated_csv')
  ON_ERROR = ABORT_STATEMENT;

CREATE PIPE IF NOT EXISTS task_update_velocity_stage_pipe
  AUTO_INGEST = FALSE
  COMMENT = 'Snowpipe of WriteSnowflakeCurated (streaming) into task_update_velocity_stage.'
AS
  COPY INTO task_update_velocity_stage
  FROM @collab_curated_staging/task_update_velocity/
  FILE_FORMAT = (FORMAT_NAME = 'collab_curated_csv')
  ON_ERROR = ABORT_STATEMENT;

CREATE PIPE IF NOT EXISTS notification_fanout_stage_pipe
  AUTO_INGEST = FALSE
  COMMENT = 'Snowpipe of WriteSnowflakeCurated (streaming) into notification_fanout_stage.'
AS
  COPY INTO notification_fanout_stage
  FROM @collab_curated_staging/notification_fanout/
  FILE_FORMAT = (FORMAT_NAME = 'collab_curated_csv')
  ON_ERROR = ABORT_STATEMENT;

CREATE PIPE IF NOT EXISTS pipeline_completeness_stage_pipe
  AUTO_INGEST = FALSE
  COMMENT = 'Snowpipe of WriteSnowflakeCurated (streaming) into pipeline_completeness_stage.'
AS
  COPY INTO pipeline_completeness_stage
  FROM @collab_curated_staging/pipeline_completeness/
  FILE_FORMAT = (FORMAT_NAME = 'collab_curated_csv')
  ON_ERROR = ABORT_STATEMENT;

-- The freshness probe's canaries (WriteSnowflakeCanaries) follow the same path as the curated rows, so the probe
-- measures the latency the curated tables have: staged under <bucket>pipeline_canary/, loaded by this pipe.
CREATE PIPE IF NOT EXISTS pipeline_canary_stage_pipe
  AUTO_INGEST = FALSE
  COMMENT = 'Snowpipe of WriteSnowflakeCanaries (streaming) into pipeline_canary_stage.'
AS
  COPY INTO pipeline_canary_stage
  FROM @collab_curated_staging/pipeline_canary/
  FILE_FORMAT = (FORMAT_NAME = 'collab_curated_csv')
  ON_ERROR = ABORT_STATEMENT;

-- Streaming MERGE. A PTransform cannot tell when Snowpipe has loaded a file (it loads asynchronously, minutes later
-- at worst), so in streaming the MERGE runs inside Snowflake: per table, an append-only STREAM records the rows that
-- Snowpipe (or a batch COPY) appends to the stage table, and a pair of serverless TASKs runs every minute while the
-- stream has rows: the root task records the run in curated_merge_runs (which consumes the stream), then its child
-- runs the same merge_<table>.sql text the batch path and the tests run. Consuming first, merging second means a row
-- staged in between is merged now AND re-announced by the stream, so the next run sees it: never a missed row, at
-- worst one empty extra run. APPEND_ONLY: the MERGE's own DELETE of merged stage rows must not wake the task again.
-- Serverless tasks (no WAREHOUSE): billed per second of compute, with no 60-second minimum of a resumed warehouse.
--
-- The merge files are deployed to the internal stage collab_sql, from the repository, with e.g.
--   PUT file://pipelines/src/main/resources/io/collabpipeline/snowflake/merge_*.sql @collab_sql/merge/
--       AUTO_COMPRESS = FALSE OVERWRITE = TRUE;
-- so that Snowflake runs exactly the text in the repository.
CREATE STAGE IF NOT EXISTS collab_sql
  COMMENT = 'SQL files of the repository run by tasks (merge_<table>.sql); deployed with PUT.';

CREATE STREAM IF NOT EXISTS active_editors_stage_changes
  ON TABLE active_editors_stage
  APPEND_ONLY = TRUE
  COMMENT = 'Rows appended to active_editors_stage since the last merge_active_editors run.';

CREATE STREAM IF NOT EXISTS task_update_velocity_stage_changes
  ON TABLE task_update_velocity_stage
  APPEND_ONLY = TRUE
  COMMENT = 'Rows appended to task_update_velocity_stage since the last merge_task_update_velocity run.';

CREATE STREAM IF NOT EXISTS notification_fanout_stage_changes
  ON TABLE notification_fanout_stage
  APPEND_ONLY = TRUE
  COMMENT = 'Rows appended to notification_fanout_stage since the last merge_notification_fanout run.';

CREATE STREAM IF NOT EXISTS pipeline_completeness_stage_changes
  ON TABLE pipeline_completeness_stage
  APPEND_ONLY = TRUE
  COMMENT = 'Rows appended to pipeline_completeness_stage since the last merge_pipeline_completeness run.';

CREATE STREAM IF NOT EXISTS pipeline_canary_stage_changes
  ON TABLE pipeline_canary_stage
  APPEND_ONLY = TRUE
  COMMENT = 'Rows appended to pipeline_canary_stage since the last merge_pipeline_canary run.';

CREATE TASK IF NOT EXISTS merge_active_editors
  USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('active_editors_stage_changes')
AS
  INSERT INTO curated_merge_runs (table_name, staged_rows, ran_at)
  SELECT 'active_editors', COUNT(*), CURRENT_TIMESTAMP() FROM active_editors_stage_changes;

CREATE TASK IF NOT EXISTS merge_active_editors_apply
  AFTER merge_active_editors
AS
  EXECUTE IMMEDIATE FROM '@collab_sql/merge/merge_active_editors.sql';

CREATE TASK IF NOT EXISTS merge_task_update_velocity
  USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('task_update_velocity_stage_changes')
AS
  INSERT INTO curated_merge_runs (table_name, staged_rows, ran_at)
  SELECT 'task_update_velocity', COUNT(*), CURRENT_TIMESTAMP() FROM task_update_velocity_stage_changes;

CREATE TASK IF NOT EXISTS merge_task_update_velocity_apply
  AFTER merge_task_update_velocity
AS
  EXECUTE IMMEDIATE FROM '@collab_sql/merge/merge_task_update_velocity.sql';

CREATE TASK IF NOT EXISTS merge_notification_fanout
  USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('notification_fanout_stage_changes')
AS
  INSERT INTO curated_merge_runs (table_name, staged_rows, ran_at)
  SELECT 'notification_fanout', COUNT(*), CURRENT_TIMESTAMP() FROM notification_fanout_stage_changes;

CREATE TASK IF NOT EXISTS merge_notification_fanout_apply
  AFTER merge_notification_fanout
AS
  EXECUTE IMMEDIATE FROM '@collab_sql/merge/merge_notification_fanout.sql';

CREATE TASK IF NOT EXISTS merge_pipeline_completeness
  USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('pipeline_completeness_stage_changes')
AS
  INSERT INTO curated_merge_runs (table_name, staged_rows, ran_at)
  SELECT 'pipeline_completeness', COUNT(*), CURRENT_TIMESTAMP() FROM pipeline_completeness_stage_changes;

CREATE TASK IF NOT EXISTS merge_pipeline_completeness_apply
  AFTER merge_pipeline_completeness
AS
  EXECUTE IMMEDIATE FROM '@collab_sql/merge/merge_pipeline_completeness.sql';

CREATE TASK IF NOT EXISTS merge_pipeline_canary
  USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
  SCHEDULE = '1 MINUTE'
  WHEN SYSTEM$STREAM_HAS_DATA('pipeline_canary_stage_changes')
AS
  INSERT INTO curated_merge_runs (table_name, staged_rows, ran_at)
  SELECT 'pipeline_canary', COUNT(*), CURRENT_TIMESTAMP() FROM pipeline_canary_stage_changes;

CREATE TASK IF NOT EXISTS merge_pipeline_canary_apply
  AFTER merge_pipeline_canary
AS
  EXECUTE IMMEDIATE FROM '@collab_sql/merge/merge_pipeline_canary.sql';

-- Tasks are created suspended; this resumes each root task together with its child.
SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('merge_active_editors');
SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('merge_task_update_velocity');
SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('merge_notification_fanout');
SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('merge_pipeline_completeness');
SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('merge_pipeline_canary');

-- The raw store as a Snowflake external table: the dbt source raw.events (identifier raw_events) on the snowflake
-- target. Run once per account as collab_owner (see pipelines/src/main/resources/io/collabpipeline/snowflake/
-- 01_account.sql for the roles); idempotent. Not run here: Snowflake cannot be reached from the build machines.
--
-- Names to adapt: the bucket/prefix of the pipeline's --rawStore, and the storage integration that may read it
-- (created like collab_curated_s3 in 01_account.sql, allowed on the raw prefix).
CREATE SCHEMA IF NOT EXISTS collab.raw WITH MANAGED ACCESS;

CREATE STAGE IF NOT EXISTS collab.raw.raw_store
  URL = 's3://collab-raw/events/'
  STORAGE_INTEGRATION = collab_raw_s3
  FILE_FORMAT = (TYPE = PARQUET)
  COMMENT = 'The pipeline''s raw store: Parquet, dt=YYYY-MM-DD/hr=HH by event time, append-only.';

-- Columns are expressions over each Parquet row (VALUE); dt and hr come from the Hive-style path, so a query that
-- filters on dt reads only that day's files. AUTO_REFRESH registers new files from the bucket's S3 event
-- notifications (the SQS ARN of SHOW EXTERNAL TABLES goes into the bucket's notification configuration).
CREATE EXTERNAL TABLE IF NOT EXISTS collab.raw.raw_events (
  dt                 DATE          AS TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'dt=', 2), '/', 1)),
  hr                 VARCHAR       AS SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'hr=', 2), '/', 1),
  event_id           VARCHAR       AS (VALUE:event_id::VARCHAR),
  event_type         VARCHAR       AS (VALUE:event_type::VARCHAR),
  schema_version     INTEGER       AS (VALUE:schema_version::INTEGER),
  occurred_at        TIMESTAMP_TZ  AS (VALUE:occurred_at::TIMESTAMP_TZ),
  received_at        TIMESTAMP_TZ  AS (VALUE:received_at::TIMESTAMP_TZ),
  workspace_gid      VARCHAR       AS (VALUE:workspace_gid::VARCHAR),
  actor_id           VARCHAR       AS (VALUE:actor_id::VARCHAR),
  resource_type      VARCHAR       AS (VALUE:resource_type::VARCHAR),
  resource_gid       VARCHAR       AS (VALUE:resource_gid::VARCHAR),
  task_gid           VARCHAR       AS (VALUE:task_gid::VARCHAR),
  trigger_event_id   VARCHAR       AS (VALUE:trigger_event_id::VARCHAR),
  trigger_event_type VARCHAR       AS (VALUE:trigger_event_type::VARCHAR),
  payload_json       VARCHAR       AS (VALUE:payload_json::VARCHAR)
)
PARTITION BY (dt)
LOCATION = @collab.raw.raw_store
PATTERN = '.*dt=[0-9-]+/hr=[0-9]+/.*[.]parquet'
FILE_FORMAT = (TYPE = PARQUET)
AUTO_REFRESH = TRUE
COMMENT = 'Raw events (minimized: pseudonymous user ids, no direct PII), one row per copy; dbt deduplicates by event_id.';

-- dbt's role reads it (and the curated tables through collab_reader).
GRANT USAGE ON SCHEMA collab.raw TO ROLE collab_reader;
GRANT SELECT ON EXTERNAL TABLE collab.raw.raw_events TO ROLE collab_reader;

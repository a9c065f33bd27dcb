-- Erasure on Snowflake (issue 10, point 4). bin/collab-erasure refuses a Snowflake --warehouseUrl and points here: run
-- the ledger DDL once as collab_owner (next to 02_curated_tables.sql), and each day, after bin/collab-erasure has
-- filed the requests and shredded the keys against the raw store, the key store and a JDBC ledger (or after the
-- requests were copied into this ledger), the deletes below as collab_transformer (the owner of collab.analytics).
-- NOT run against a real Snowflake: written from Snowflake's documentation and checked on DuckDB's SQL only.
--
-- The 72 hours: a DELETE removes rows from queries at once, but Snowflake keeps them for Time Travel
-- (DATA_RETENTION_TIME_IN_DAYS, 1 day by default, up to 90 on Enterprise) and then, on PERMANENT tables, for 7 more days
-- of Fail-safe (recoverable by Snowflake support only). TRANSIENT tables have no Fail-safe and at most 1 day of Time
-- Travel. So the user-level tables must be TRANSIENT with DATA_RETENTION_TIME_IN_DAYS = 1 or 0 (dbt-snowflake builds
-- tables transient by default; the schema default below covers a model that overrides it): the deleted rows are then
-- gone for good within 24 hours of the DELETE, inside the 72 hours. On a permanent table the last copy would survive
-- up to 7 days + the retention: past the deadline.

ALTER SCHEMA IF EXISTS collab.analytics SET DATA_RETENTION_TIME_IN_DAYS = 1;

CREATE TABLE IF NOT EXISTS erasure_ledger (
  request_id    VARCHAR NOT NULL,
  pseudonym     VARCHAR,
  key_index     VARCHAR,
  source        VARCHAR NOT NULL,
  requested_at  TIMESTAMP_NTZ(3) NOT NULL,
  filed_at      TIMESTAMP_NTZ(3) NOT NULL,
  due_at        TIMESTAMP_NTZ(3) NOT NULL,
  completed_at  TIMESTAMP_NTZ(3),
  CONSTRAINT erasure_ledger_pk PRIMARY KEY (request_id)
)
DATA_RETENTION_TIME_IN_DAYS = 1
COMMENT = 'Erasure requests (bin/collab-erasure); dbt drops every pseudonym in it. key_index is NULL once complete.';

CREATE TABLE IF NOT EXISTS erasure_ledger_removals (
  request_id    VARCHAR NOT NULL,
  run_at        TIMESTAMP_NTZ(3) NOT NULL,
  target        VARCHAR NOT NULL,
  rows_removed  BIGINT NOT NULL
)
COMMENT = 'Rows removed per erasure request, run and target.';

-- The user-level tables (UserLevelTables.TABLES): one DELETE each, for every request not yet complete.
DELETE FROM collab.analytics.user_activity_daily
  WHERE user_id IN (SELECT pseudonym FROM erasure_ledger WHERE completed_at IS NULL AND pseudonym IS NOT NULL);
DELETE FROM collab.analytics.dim_workspace_membership
  WHERE user_id IN (SELECT pseudonym FROM erasure_ledger WHERE completed_at IS NULL AND pseudonym IS NOT NULL);
DELETE FROM collab.analytics.dim_project_membership
  WHERE user_id IN (SELECT pseudonym FROM erasure_ledger WHERE completed_at IS NULL AND pseudonym IS NOT NULL);

-- Once the key is shredded (bin/collab-erasure against the key store): complete, and forget the key index.
UPDATE erasure_ledger SET completed_at = SYSDATE(), key_index = NULL WHERE completed_at IS NULL;

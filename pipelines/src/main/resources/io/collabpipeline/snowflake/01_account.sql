-- Account-level objects, applied once per account before the other files (01 to 05, in order; each statement is
-- idempotent, so a file can be re-applied). Run as ACCOUNTADMIN, or split between SECURITYADMIN (roles, grants) and
-- SYSADMIN (database, schema, warehouse).
--
-- Names to adapt per deployment, which the pipeline's options must match:
--   database collab, schema curated  = --snowflakeDatabase, --snowflakeSchema
--   warehouse collab_load_wh         = --snowflakeWarehouse
--   role collab_loader               = --snowflakeRole
--   integration collab_curated_s3    = --snowflakeStorageIntegration
--   s3://collab-curated-staging/snowflake/ = --snowflakeStagingBucket
--
-- Five roles, least privilege (object grants in 05_grants.sql):
--   collab_owner   owns the schema's objects and the tasks (deploys these files; a task runs as its owner).
--   collab_loader  the pipeline's role: loads the stage tables (batch COPY, Snowpipe REST) and runs the batch MERGE.
--                  It cannot create, drop or alter anything.
--   collab_replayer the raw replay's role (--source=raw --snowflakeRole=collab_replayer): stages into the replay stage
--                  tables and runs commit_replay.sql, which deletes curated rows of its range and due corrections
--                  (what the loader may never do). It cannot create, drop or alter anything either.
--   collab_reader  dashboards, dbt sources, analysts: SELECT on the curated tables only; the stage tables are transit
--                  data and stay invisible to readers.
--   collab_probe   the freshness probe (bin/collab-canary): SELECT on pipeline_canary, writes pipeline_freshness.
-- All of them roll up to SYSADMIN, as Snowflake recommends, so administrators keep control of what the roles create.

CREATE ROLE IF NOT EXISTS collab_owner COMMENT = 'Owns the curated schema, its pipes, streams and tasks.';
CREATE ROLE IF NOT EXISTS collab_loader COMMENT = 'Used by the pipeline (WriteSnowflakeCurated) to stage and merge.';
CREATE ROLE IF NOT EXISTS collab_reader COMMENT = 'Read-only access to the curated tables.';
CREATE ROLE IF NOT EXISTS collab_probe COMMENT = 'The freshness probe: reads pipeline_canary, writes pipeline_freshness.';
GRANT ROLE collab_owner TO ROLE SYSADMIN;
GRANT ROLE collab_loader TO ROLE SYSADMIN;
GRANT ROLE collab_reader TO ROLE SYSADMIN;
GRANT ROLE collab_probe TO ROLE SYSADMIN;
CREATE ROLE IF NOT EXISTS collab_replayer COMMENT = 'Used by raw replays to stage and commit (commit_replay.sql).';
GRANT ROLE collab_replayer TO ROLE SYSADMIN;

CREATE DATABASE IF NOT EXISTS collab;
-- Managed access: only the schema owner grants privileges on its objects, so no object owner can widen access.
CREATE SCHEMA IF NOT EXISTS collab.curated WITH MANAGED ACCESS;
GRANT OWNERSHIP ON SCHEMA collab.curated TO ROLE collab_owner COPY CURRENT GRANTS;
GRANT USAGE ON DATABASE collab TO ROLE collab_owner;
GRANT USAGE ON DATABASE collab TO ROLE collab_loader;
GRANT USAGE ON DATABASE collab TO ROLE collab_reader;
GRANT USAGE ON DATABASE collab TO ROLE collab_replayer;
GRANT USAGE ON SCHEMA collab.curated TO ROLE collab_loader;
GRANT USAGE ON SCHEMA collab.curated TO ROLE collab_reader;
GRANT USAGE ON DATABASE collab TO ROLE collab_probe;
GRANT USAGE ON SCHEMA collab.curated TO ROLE collab_probe;
GRANT USAGE ON SCHEMA collab.curated TO ROLE collab_replayer;

-- The loader's warehouse for the batch COPY and MERGE: extra-small and quick to suspend, since a batch load is one
-- COPY and one MERGE per table. (The streaming MERGE runs as serverless tasks, see 04_loading.sql.)
CREATE WAREHOUSE IF NOT EXISTS collab_load_wh
  WAREHOUSE_SIZE = 'XSMALL'
  AUTO_SUSPEND = 60
  AUTO_RESUME = TRUE
  INITIALLY_SUSPENDED = TRUE
  COMMENT = 'Batch COPY and MERGE of WriteSnowflakeCurated.';
GRANT USAGE ON WAREHOUSE collab_load_wh TO ROLE collab_loader;
-- The probe's reads and writes are a few rows a second: the same warehouse, which they keep resumed while it runs.
GRANT USAGE ON WAREHOUSE collab_load_wh TO ROLE collab_probe;
GRANT USAGE ON WAREHOUSE collab_load_wh TO ROLE collab_replayer;

-- Run as ACCOUNTADMIN (or a role with CREATE INTEGRATION), once. A storage integration lets Snowflake read the bucket
-- through an IAM role, so no AWS key is stored in Snowflake or in the pipeline; after creating it, copy
-- STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION into the role's trust policy.
CREATE STORAGE INTEGRATION IF NOT EXISTS collab_curated_s3
  TYPE = EXTERNAL_STAGE
  STORAGE_PROVIDER = 'S3'
  ENABLED = TRUE
  STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/collab-snowflake-staging'
  STORAGE_ALLOWED_LOCATIONS = ('s3://collab-curated-staging/snowflake/')
  COMMENT = 'Read access to the curated staging prefix written by WriteSnowflakeCurated.';

-- The owner creates the external stage over the bucket; the loader's batch COPY names the S3 URL with
-- STORAGE_INTEGRATION (that is how SnowflakeIO writes its COPY), which needs USAGE on the integration too.
GRANT USAGE ON INTEGRATION collab_curated_s3 TO ROLE collab_owner;
GRANT USAGE ON INTEGRATION collab_curated_s3 TO ROLE collab_loader;
GRANT USAGE ON INTEGRATION collab_curated_s3 TO ROLE collab_replayer;

-- The owner's tasks run serverless (04_loading.sql).
GRANT EXECUTE TASK ON ACCOUNT TO ROLE collab_owner;
GRANT EXECUTE MANAGED TASK ON ACCOUNT TO ROLE collab_owner;

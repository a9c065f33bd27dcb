-- The role dbt runs as on Snowflake (profiles.yml default: collab_transformer, warehouse collab_transform_wh).
-- Run once per account as SECURITYADMIN/SYSADMIN after the pipeline's 01_account.sql; idempotent. Not run here:
-- Snowflake cannot be reached from the build machines.
--
-- It reads what collab_reader reads (the curated tables, the raw external table) and owns the schema dbt builds
-- into (analytics), so a dbt run can create, replace and drop its own models and nothing else.
CREATE ROLE IF NOT EXISTS collab_transformer COMMENT = 'dbt: reads curated and raw, builds collab.analytics.';
GRANT ROLE collab_reader TO ROLE collab_transformer;
GRANT ROLE collab_transformer TO ROLE SYSADMIN;

CREATE WAREHOUSE IF NOT EXISTS collab_transform_wh
  WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE
  COMMENT = 'dbt builds of collab.analytics.';
GRANT USAGE ON WAREHOUSE collab_transform_wh TO ROLE collab_transformer;

CREATE SCHEMA IF NOT EXISTS collab.analytics WITH MANAGED ACCESS;
GRANT OWNERSHIP ON SCHEMA collab.analytics TO ROLE collab_transformer COPY CURRENT GRANTS;
-- Dashboards read the marts through collab_reader.
GRANT USAGE ON SCHEMA collab.analytics TO ROLE collab_reader;
GRANT SELECT ON FUTURE TABLES IN SCHEMA collab.analytics TO ROLE collab_reader;
GRANT SELECT ON FUTURE VIEWS IN SCHEMA collab.analytics TO ROLE collab_reader;

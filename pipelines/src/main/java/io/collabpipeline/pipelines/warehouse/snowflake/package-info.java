/**
 * The Snowflake warehouse: SnowflakeIO stages the curated rows per table and the repository's MERGE files apply the
 * same fencing rule as the JDBC warehouses; the typed Snowflake settings; the SQL resources it runs.
 */
package io.collabpipeline.pipelines.warehouse.snowflake;

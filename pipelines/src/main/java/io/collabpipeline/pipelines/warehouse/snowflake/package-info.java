/**
 * The Snowflake warehouse: SnowflakeIO stages the curated rows per table and the repository's MERGE
 * files apply the same fencing rule as the JDBC warehouses ({@code WriteSnowflakeCurated}); its
 * typed, checked settings ({@code SnowflakeConfig}, secrets as references only); and the SQL
 * resources it runs ({@code SnowflakeSql}).
 */
package io.collabpipeline.pipelines.warehouse.snowflake;

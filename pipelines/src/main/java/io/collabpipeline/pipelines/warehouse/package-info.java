/**
 * The warehouse seam: the curated tables, their fenced live writes, the replay staging, diff and commit, and the
 * generation log, behind one interface per concern, with the JDBC warehouses (DuckDB, PostgreSQL) and the Beam write
 * that feeds them. Snowflake's sink lives in {@code warehouse.snowflake}.
 */
package io.collabpipeline.pipelines.warehouse;

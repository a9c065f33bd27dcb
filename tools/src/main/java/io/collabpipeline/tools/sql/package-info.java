/**
 * The SQL shell on the local DuckDB warehouse ({@code bin/collab-sql "SELECT ..."}): one statement,
 * its result printed as a table, with no database client to install.
 */
package io.collabpipeline.tools.sql;

package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The {@link WarehouseContractTest} on DuckDB, plus what is DuckDB's own: the database file. */
public class DuckDbWarehouseTest extends WarehouseContractTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Override
  protected String newWarehouseUrl() {
    return "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("nested/dir/warehouse.duckdb");
  }

  @Override
  protected String primaryKeyColumnsSql(String table) {
    return "SELECT unnest(constraint_column_names) FROM duckdb_constraints()"
        + " WHERE table_name = '"
        + table
        + "' AND constraint_type = 'PRIMARY KEY'";
  }

  @Override
  protected boolean stagingKeyIsIndexed() {
    return false;
  }

  @Override
  protected List<String> notificationFanoutColumnTypes() {
    return List.of(
        "TIMESTAMP",
        "TIMESTAMP",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "BIGINT",
        "BIGINT",
        "DOUBLE",
        "BIGINT",
        "BIGINT",
        "BIGINT");
  }

  @Override
  protected String timestampType() {
    return "TIMESTAMP";
  }

  @Override
  protected String utcTextSql(String column) {
    // DuckDB's TIMESTAMP holds the UTC wall time: rendering it involves no zone.
    return "CAST(" + column + " AS VARCHAR)";
  }

  @Test
  public void ensureTablesCreatesTheFileAndItsDirectory() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(sampleRows());
      assertThat(readAll(w), hasSize(sampleRows().size()));
    }
    assertThat(
        Files.isRegularFile(tmp.getRoot().toPath().resolve("nested/dir/warehouse.duckdb")),
        is(true));
  }

  @Test
  public void unsupportedUrlGetsAOneLineMessageNamingItAndTheSupportedSchemes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Warehouses.openJdbc(
                    "jdbc:snowflake://acct.snowflakecomputing.com/?user=etl&password=hunter2"));
    assertThat(e.getMessage(), containsString("jdbc:snowflake://acct.snowflakecomputing.com/"));
    assertThat(e.getMessage(), containsString("jdbc:duckdb:"));
    assertThat(e.getMessage(), containsString("jdbc:postgresql:"));
    assertThat(e.getMessage(), not(containsString("hunter2")));
    assertThat(e.getMessage(), not(containsString("\n")));
  }
}

package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;

/**
 * The {@link WarehouseContractTest} on a real PostgreSQL server started for this class from the
 * Debian binaries ({@link LocalPostgres}: the class fails, never skips, when they are missing),
 * plus {@link WriteCurated} end to end into it on the DirectRunner.
 */
public class PostgresWarehouseTest extends WarehouseContractTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TestPipeline rerun = TestPipeline.create();

  @Override
  protected String newWarehouseUrl() throws Exception {
    return POSTGRES.newDatabaseUrl();
  }

  @Override
  protected String primaryKeyColumnsSql(String table) {
    return "SELECT k.column_name FROM information_schema.table_constraints c"
        + " JOIN information_schema.key_column_usage k"
        + " ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name"
        + " WHERE c.table_name = '"
        + table
        + "' AND c.constraint_type = 'PRIMARY KEY'"
        + " ORDER BY k.ordinal_position";
  }

  @Override
  protected boolean stagingKeyIsIndexed() {
    return true;
  }

  @Override
  protected List<String> notificationFanoutColumnTypes() {
    return List.of(
        "timestamp with time zone",
        "timestamp with time zone",
        "text",
        "text",
        "text",
        "bigint",
        "bigint",
        "double precision",
        "bigint",
        "bigint",
        "bigint");
  }

  @Override
  protected String timestampType() {
    return "timestamptz";
  }

  @Override
  protected String utcTextSql(String column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')";
  }

  @Test
  public void writeCuratedWritesEveryRowOnTheDirectRunnerAndARerunChangesNothing()
      throws Exception {
    List<CuratedRow> rows = WriteCuratedTest.rows();
    pipeline.apply("CreateRows", Create.of(rows)).apply("WriteCurated", WriteCurated.to(url()));
    pipeline.run().waitUntilFinish();
    List<CuratedRow> first = readAll();
    assertThat(new HashSet<>(first), equalTo(new HashSet<>(rows)));
    assertThat(first.size(), is(rows.size()));

    rerun
        .apply("CreateRows", Create.of(rows))
        .apply("WriteCurated", WriteCurated.to(url()).withMaxBufferedRows(7));
    rerun.run().waitUntilFinish();
    assertThat(readAll(), equalTo(first));
  }

  @Test
  public void aConnectionFailureNamesTheUrlWithoutItsPassword() {
    String url = POSTGRES.url("no_such_database") + "&password=hunter2";
    SQLException e = assertThrows(SQLException.class, () -> Warehouses.openJdbc(url));
    assertThat(e.getMessage(), containsString("no_such_database"));
    assertThat(e.getMessage(), containsString("password=***"));
    assertThat(e.getMessage(), not(containsString("hunter2")));
  }

  private List<CuratedRow> readAll() throws Exception {
    List<CuratedRow> all = new ArrayList<>();
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      for (CuratedTable t : CuratedTable.values()) {
        all.addAll(w.curated().read(t));
      }
    }
    return all;
  }
}

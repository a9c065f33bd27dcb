package io.collabpipeline.pipelines.sinks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Before;
import org.junit.Test;

/**
 * The behaviour every {@link Warehouse} must have, run against each implementation by a subclass that provides a fresh,
 * empty warehouse per test and the few dialect-specific inspection queries.
 */
public abstract class WarehouseContractTest {
  /** 2026-11-22T01:00:00Z */
  static final long T0 = RawArchiveTest.T0;

  private String url;

  /** The JDBC URL of a new, empty warehouse. */
  protected abstract String newWarehouseUrl() throws Exception;

  /** SQL returning the primary key column names of {@code table}, in key order. */
  protected abstract String primaryKeyColumnsSql(String table);

  /** The {@code information_schema.columns.data_type} values of notification_fanout, in column order. */
  protected abstract List<String> notificationFanoutColumnTypes();

  /** A SQL expression rendering the timestamp column {@code column} in UTC as {@code YYYY-MM-DD HH:MM:SS}. */
  protected abstract String utcTextSql(String column);

  @Before
  public void createWarehouse() throws Exception {
    url = newWarehouseUrl();
  }

  protected String url() {
    return url;
  }

  static List<CuratedRow> sampleRows() {
    List<CuratedRow> rows = new ArrayList<>();
    rows.add(CuratedRow.activeEditors(T0, Granularity.HOUR, "100", 7));
    rows.add(CuratedRow.activeEditors(T0, Granularity.MINUTE, "100", 3));
    rows.add(CuratedRow.taskUpdateVelocity(T0, Granularity.DAY, "200", 10, 4, 2));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "comment.added", 3, 10, 6));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "task.completed", 1, 1, 1));
    rows.add(CuratedRow.completeness(T0, Granularity.HOUR, "received", 42));
    return rows;
  }

  static List<CuratedRow> readAll(Warehouse w) throws Exception {
    List<CuratedRow> all = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      all.addAll(w.read(t));
    }
    return all;
  }

  @Test
  public void ensureTablesIsIdempotent() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(sampleRows());
      w.ensureTables();
      assertThat(readAll(w), hasSize(sampleRows().size()));
    }
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      assertThat(new HashSet<>(readAll(w)), equalTo(new HashSet<>(sampleRows())));
    }
  }

  @Test
  public void createsEveryTableWithItsKeyAsPrimaryKey() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
    }
    try (Connection c = DriverManager.getConnection(url());
        Statement st = c.createStatement()) {
      for (CuratedTable t : CuratedTable.values()) {
        List<String> keys = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(primaryKeyColumnsSql(t.tableName()))) {
          while (rs.next()) {
            keys.add(rs.getString(1));
          }
        }
        List<String> expected = new ArrayList<>();
        t.keyColumns().forEach(k -> expected.add(k.name()));
        assertThat(t.tableName(), keys, equalTo(expected));
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT data_type FROM information_schema.columns WHERE table_name = 'notification_fanout'"
                  + " ORDER BY ordinal_position")) {
        List<String> types = new ArrayList<>();
        while (rs.next()) {
          types.add(rs.getString(1));
        }
        assertThat(types, equalTo(notificationFanoutColumnTypes()));
      }
    }
  }

  @Test
  public void upsertingTheSameRowsTwiceLeavesTheSameTables() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(sampleRows());
      List<CuratedRow> once = readAll(w);
      w.upsert(sampleRows());
      assertThat(readAll(w), equalTo(once));
      assertThat(once, hasSize(sampleRows().size()));
      assertThat(new HashSet<>(once), equalTo(new HashSet<>(sampleRows())));
    }
  }

  @Test
  public void aLaterValueForTheSameKeyReplacesTheEarlier() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(sampleRows());
      w.upsert(List.of(CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "comment.added", 4, 14, 7)));
      List<CuratedRow> fanout = w.read(CuratedTable.NOTIFICATION_FANOUT);
      assertThat(
          fanout,
          contains(
              CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "comment.added", 4, 14, 7),
              CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "task.completed", 1, 1, 1)));
      assertThat(fanout.get(0).getDouble("fanout_avg"), equalTo(3.5));
    }
  }

  @Test
  public void duplicateKeysInOneBatchKeepTheLastRow() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(
          List.of(
              CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 5),
              CuratedRow.completeness(T0, Granularity.HOUR, "received", 9),
              CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 8),
              CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 6)));
      assertThat(
          w.read(CuratedTable.PIPELINE_COMPLETENESS),
          contains(
              CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 6),
              CuratedRow.completeness(T0, Granularity.HOUR, "received", 9)));
    }
  }

  @Test
  public void timestampsRoundTripExactlyInUtcWhateverTheJvmZone() throws Exception {
    TimeZone saved = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("America/New_York"));
    try {
      // 2026-03-08T07:00Z is the New York DST switch; plus a pre-1970 and a millisecond-precise instant.
      long dst = 1_772_953_200_000L;
      List<CuratedRow> rows =
          List.of(
              CuratedRow.activeEditors(dst, Granularity.HOUR, "1", 1),
              CuratedRow.activeEditors(-86_400_000L, Granularity.DAY, "1", 2),
              CuratedRow.of(CuratedTable.ACTIVE_EDITORS, List.of(T0 + 123L, T0 + 60_123L, "minute", "1", 3L)));
      try (Warehouse w = Warehouses.open(url())) {
        w.ensureTables();
        w.upsert(rows);
        assertThat(new HashSet<>(w.read(CuratedTable.ACTIVE_EDITORS)), equalTo(new HashSet<>(rows)));
      }
      try (Connection c = DriverManager.getConnection(url());
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT " + utcTextSql("window_start") + ", " + utcTextSql("window_end")
                      + " FROM active_editors WHERE granularity = 'hour'")) {
        assertThat(rs.next(), is(true));
        assertThat(rs.getString(1), equalTo("2026-03-08 07:00:00"));
        assertThat(rs.getString(2), equalTo("2026-03-08 08:00:00"));
      }
    } finally {
      TimeZone.setDefault(saved);
    }
  }

  @Test
  public void everyTableRoundTripsItsRowsExactly() throws Exception {
    List<CuratedRow> rows = new ArrayList<>();
    rows.add(CuratedRow.activeEditors(T0, Granularity.MINUTE, "ws-é", Long.MAX_VALUE));
    rows.add(CuratedRow.taskUpdateVelocity(T0 + 1, Granularity.DAY, "ws", 0, Long.MIN_VALUE, 3));
    rows.add(CuratedRow.notificationFanout(T0, Granularity.HOUR, "ws", "comment.added", 3, 10, 6));
    rows.add(CuratedRow.completeness(T0, Granularity.DAY, "raw_written", 1));
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(rows);
      assertThat(readAll(w), equalTo(rows));
      assertThat(w.read(CuratedTable.NOTIFICATION_FANOUT).get(0).getDouble("fanout_avg"), equalTo(10.0 / 3.0));
    }
  }

  @Test
  public void readOrdersByTheKeyColumnsComparingStringsByCodePoint() throws Exception {
    List<CuratedRow> rows =
        List.of(
            CuratedRow.activeEditors(T0, Granularity.HOUR, "b", 1),
            CuratedRow.activeEditors(T0, Granularity.HOUR, "B", 2),
            CuratedRow.activeEditors(T0, Granularity.HOUR, "a", 3),
            CuratedRow.activeEditors(T0 - 3_600_000L, Granularity.HOUR, "z", 4));
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(rows);
      assertThat(w.read(CuratedTable.ACTIVE_EDITORS), contains(rows.get(3), rows.get(1), rows.get(2), rows.get(0)));
    }
  }

  @Test
  public void concurrentWritersOfTheSameKeysDoNotConflict() throws Exception {
    try (Warehouse setup = Warehouses.open(url())) {
      setup.ensureTables();
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final int writer = t;
        futures.add(
            pool.submit(
                () -> {
                  try (Warehouse w = Warehouses.open(url())) {
                    for (int i = 0; i < 10; i++) {
                      w.upsert(
                          List.of(
                              CuratedRow.completeness(T0, Granularity.HOUR, "received", writer * 100 + i),
                              CuratedRow.completeness(T0, Granularity.DAY, "received", writer * 100 + i)));
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    try (Warehouse w = Warehouses.open(url())) {
      assertThat(w.read(CuratedTable.PIPELINE_COMPLETENESS), hasSize(2));
    }
  }

  @Test
  public void aLargeBatchUpsertedTwiceLeavesExactlyItsRows() throws Exception {
    List<CuratedRow> rows = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      rows.add(CuratedRow.taskUpdateVelocity(T0 + 60_000L * i, Granularity.MINUTE, "ws" + (i % 7), i, i / 2, i / 3));
    }
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(rows);
      w.upsert(rows);
      // Speed is the benchmark's business, not a unit test's: this checks the staged upsert's result only.
      assertThat(w.read(CuratedTable.TASK_UPDATE_VELOCITY), equalTo(rows));
    }
  }

  @Test
  public void emptyUpsertIsANoOp() throws Exception {
    try (Warehouse w = Warehouses.open(url())) {
      w.ensureTables();
      w.upsert(List.of());
      assertThat(readAll(w), empty());
    }
  }
}

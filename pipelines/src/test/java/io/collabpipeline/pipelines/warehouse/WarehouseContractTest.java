package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.stores.RawStoreIOTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.Before;
import org.junit.Test;

/**
 * The behaviour every JDBC warehouse ({@link JdbcWarehouse}: its curated tables, replay staging and
 * generation log) must have, run against each dialect by a subclass that provides a fresh, empty
 * warehouse per test and the few dialect-specific inspection queries.
 */
public abstract class WarehouseContractTest {
  /** 2026-11-22T01:00:00Z */
  static final long T0 = RawStoreIOTest.T0;

  private String url;

  /** The JDBC URL of a new, empty warehouse. */
  protected abstract String newWarehouseUrl() throws Exception;

  /** SQL returning the primary key column names of {@code table}, in key order. */
  protected abstract String primaryKeyColumnsSql(String table);

  /**
   * The {@code information_schema.columns.data_type} values of notification_fanout, in column
   * order.
   */
  protected abstract List<String> notificationFanoutColumnTypes();

  /**
   * A SQL expression rendering the timestamp column {@code column} in UTC as {@code YYYY-MM-DD
   * HH:MM:SS}.
   */
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

  static List<CuratedRow> readAll(JdbcWarehouse w) throws Exception {
    List<CuratedRow> all = new ArrayList<>();
    for (CuratedTable t : CuratedTable.values()) {
      all.addAll(w.curated().read(t));
    }
    return all;
  }

  @Test
  public void ensureTablesIsIdempotent() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(sampleRows());
      w.curated().ensureTables();
      assertThat(readAll(w), hasSize(sampleRows().size()));
    }
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      assertThat(new HashSet<>(readAll(w)), equalTo(new HashSet<>(sampleRows())));
    }
  }

  @Test
  public void createsEveryTableWithItsKeyAsPrimaryKey() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
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

  /** Whether this warehouse's replay staging tables carry (generation, key) as primary key. */
  protected abstract boolean stagingKeyIsIndexed();

  /**
   * A staging table's key is (generation, the curated key): its primary key where the warehouse
   * indexes it, none where its writes keep one row per key without (DuckDB); staging the same rows
   * again, and a newer pane of one, still leaves one row per key.
   */
  @Test
  public void stagingTablesAreKeyedByGenerationAndKeyIndexedOrNot() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.staging().stage(10, replayOutput());
      w.staging().stage(10, replayOutput());
      w.staging().stage(List.of(v(editors(DAY_START, "ws1", 12), 10, 3)));
      long rows = w.staging().countStaged(10);
      w.staging().stage(10, replayOutput());
      assertThat(w.staging().countStaged(10), is(rows));
    }
    try (Connection c = DriverManager.getConnection(url());
        Statement st = c.createStatement()) {
      for (CuratedTable t : ReplayScope.TABLES) {
        String staging = JdbcReplayStaging.stagingTable(t);
        List<String> keys = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(primaryKeyColumnsSql(staging))) {
          while (rs.next()) {
            keys.add(rs.getString(1));
          }
        }
        List<String> expected = new ArrayList<>();
        if (stagingKeyIsIndexed()) {
          expected.add("generation");
          t.keyColumns().forEach(k -> expected.add(k.name()));
        }
        assertThat(staging, keys, equalTo(expected));
        try (ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM (SELECT 1 FROM "
                    + staging
                    + " GROUP BY generation, "
                    + t.keyColumns().stream()
                        .map(CuratedTable.Column::name)
                        .collect(java.util.stream.Collectors.joining(", "))
                    + " HAVING count(*) > 1) d")) {
          rs.next();
          assertThat(staging + ": keys staged twice", rs.getLong(1), is(0L));
        }
      }
    }
  }

  @Test
  public void upsertingTheSameRowsTwiceLeavesTheSameTables() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(sampleRows());
      List<CuratedRow> once = readAll(w);
      w.curated().upsert(sampleRows());
      assertThat(readAll(w), equalTo(once));
      assertThat(once, hasSize(sampleRows().size()));
      assertThat(new HashSet<>(once), equalTo(new HashSet<>(sampleRows())));
    }
  }

  @Test
  public void aLaterValueForTheSameKeyReplacesTheEarlier() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(sampleRows());
      w.curated()
          .upsert(
              List.of(
                  CuratedRow.notificationFanout(
                      T0, Granularity.HOUR, "100", "comment.added", 4, 14, 7)));
      List<CuratedRow> fanout = w.curated().read(CuratedTable.NOTIFICATION_FANOUT);
      assertThat(
          fanout,
          contains(
              CuratedRow.notificationFanout(T0, Granularity.HOUR, "100", "comment.added", 4, 14, 7),
              CuratedRow.notificationFanout(
                  T0, Granularity.HOUR, "100", "task.completed", 1, 1, 1)));
      assertThat(fanout.get(0).getDouble("fanout_avg"), equalTo(3.5));
    }
  }

  @Test
  public void duplicateKeysInOneBatchKeepTheLastRow() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated()
          .upsert(
              List.of(
                  CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 5),
                  CuratedRow.completeness(T0, Granularity.HOUR, "received", 9),
                  CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 8),
                  CuratedRow.completeness(T0, Granularity.HOUR, "accepted", 6)));
      assertThat(
          w.curated().read(CuratedTable.PIPELINE_COMPLETENESS),
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
      // 2026-03-08T07:00Z is the New York DST switch; plus a pre-1970 and a millisecond-precise
      // instant.
      long dst = 1_772_953_200_000L;
      List<CuratedRow> rows =
          List.of(
              CuratedRow.activeEditors(dst, Granularity.HOUR, "1", 1),
              CuratedRow.activeEditors(-86_400_000L, Granularity.DAY, "1", 2),
              CuratedRow.of(
                  CuratedTable.ACTIVE_EDITORS,
                  List.of(T0 + 123L, T0 + 60_123L, "minute", "1", 3L)));
      try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
        w.curated().ensureTables();
        w.curated().upsert(rows);
        assertThat(
            new HashSet<>(w.curated().read(CuratedTable.ACTIVE_EDITORS)),
            equalTo(new HashSet<>(rows)));
      }
      try (Connection c = DriverManager.getConnection(url());
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT "
                      + utcTextSql("window_start")
                      + ", "
                      + utcTextSql("window_end")
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
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(rows);
      assertThat(readAll(w), equalTo(rows));
      assertThat(
          w.curated().read(CuratedTable.NOTIFICATION_FANOUT).get(0).getDouble("fanout_avg"),
          equalTo(10.0 / 3.0));
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
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(rows);
      assertThat(
          w.curated().read(CuratedTable.ACTIVE_EDITORS),
          contains(rows.get(3), rows.get(1), rows.get(2), rows.get(0)));
    }
  }

  @Test
  public void concurrentWritersOfTheSameKeysDoNotConflict() throws Exception {
    try (JdbcWarehouse setup = Warehouses.openJdbc(url())) {
      setup.curated().ensureTables();
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final int writer = t;
        futures.add(
            pool.submit(
                () -> {
                  try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
                    for (int i = 0; i < 10; i++) {
                      w.curated()
                          .upsert(
                              List.of(
                                  CuratedRow.completeness(
                                      T0, Granularity.HOUR, "received", writer * 100 + i),
                                  CuratedRow.completeness(
                                      T0, Granularity.DAY, "received", writer * 100 + i)));
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
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      assertThat(w.curated().read(CuratedTable.PIPELINE_COMPLETENESS), hasSize(2));
    }
  }

  @Test
  public void aLargeBatchUpsertedTwiceLeavesExactlyItsRows() throws Exception {
    List<CuratedRow> rows = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      rows.add(
          CuratedRow.taskUpdateVelocity(
              T0 + 60_000L * i, Granularity.MINUTE, "ws" + (i % 7), i, i / 2, i / 3));
    }
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(rows);
      w.curated().upsert(rows);
      // Speed is the benchmark's business, not a unit test's: this checks the staged upsert's
      // result only.
      assertThat(w.curated().read(CuratedTable.TASK_UPDATE_VELOCITY), equalTo(rows));
    }
  }

  @Test
  public void smallBatchesOfEverySizeOnOneHandleLeaveExactlyTheNewestRowOfEachKey()
      throws Exception {
    // A small batch is written by one statement reading a VALUES list of its rows (PostgreSQL) or
    // through the load table the handle keeps for each table (DuckDB): each size from 1 to 130 in
    // turn, and again in reverse, over overlapping keys of two tables, every row a new value. The
    // expected tables are kept in maps.
    Map<List<Object>, CuratedRow> velocity = new TreeMap<>(Comparator.comparing(Object::toString));
    Map<List<Object>, CuratedRow> editors = new TreeMap<>(Comparator.comparing(Object::toString));
    long value = 0;
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      for (int pass = 0; pass < 2; pass++) {
        for (int k = 1; k <= 130; k++) {
          int size = pass == 0 ? k : 131 - k;
          List<CuratedRow> batch = new ArrayList<>();
          for (int i = 0; i < size; i++) {
            value++;
            long start = T0 + 60_000L * ((value * 7) % 150);
            CuratedRow row =
                i % 3 == 0
                    ? CuratedRow.activeEditors(start, Granularity.MINUTE, "ws" + (i % 4), value)
                    : CuratedRow.taskUpdateVelocity(
                        start, Granularity.MINUTE, "ws" + (i % 4), value, i, size);
            batch.add(row);
            (i % 3 == 0 ? editors : velocity).put(row.key(), row);
          }
          w.curated().upsert(batch);
        }
      }
      assertThat(
          w.curated().read(CuratedTable.ACTIVE_EDITORS),
          containsInAnyOrder(editors.values().toArray()));
      assertThat(
          w.curated().read(CuratedTable.TASK_UPDATE_VELOCITY),
          containsInAnyOrder(velocity.values().toArray()));
    }
  }

  /**
   * The first write of a handle fails in its second table, after the first table's rows were loaded
   * and written (on DuckDB, through the load table the handle keeps, made in that transaction):
   * nothing of it stays, and the handle's next write leaves exactly its own rows. A handle that
   * kept the statements of a load table whose creation was rolled back fails that write.
   */
  @Test
  public void aWriteThatFailsLeavesNothingForTheHandlesNextWrite() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      try (Statement st = w.connection().createStatement()) {
        st.execute("DROP TABLE " + CuratedTable.TASK_UPDATE_VELOCITY.tableName());
      }
      List<CuratedRow> failed =
          List.of(
              editors(T0, "ws-failed", 7),
              CuratedRow.taskUpdateVelocity(T0, Granularity.HOUR, "ws-failed", 3, 2, 5));
      assertThrows(SQLException.class, () -> w.curated().upsert(failed));
      w.curated().ensureTables();

      List<CuratedRow> next = List.of(editors(T0, "ws-next", 4), editors(T0 + HOUR, "ws-next", 5));
      w.curated().upsert(next);
      w.curated().upsert(List.of(editors(T0 + HOUR, "ws-next", 6)));

      assertThat(
          w.curated().read(CuratedTable.ACTIVE_EDITORS),
          containsInAnyOrder(editors(T0, "ws-next", 4), editors(T0 + HOUR, "ws-next", 6)));
      assertThat(w.curated().read(CuratedTable.TASK_UPDATE_VELOCITY), empty());
    }
  }

  @Test
  public void emptyUpsertIsANoOp() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsert(List.of());
      assertThat(readAll(w), empty());
    }
  }

  // ------------------------------------------------------------------ generations and fencing

  /** 2026-11-22, the day of {@link #T0}. */
  static final LocalDate DAY = LocalDate.of(2026, 11, 22);

  static final long DAY_START = DAY.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  static final long HOUR = 3_600_000L;
  static final long DAY_MS = 24 * HOUR;

  static VersionedRow v(CuratedRow row, long generation, long pane) {
    return VersionedRow.of(row, generation, pane);
  }

  static CuratedRow editors(long windowStart, String workspace, long n) {
    return CuratedRow.activeEditors(windowStart, Granularity.HOUR, workspace, n);
  }

  @Test
  public void anOlderPaneNeverOverwritesANewerOneAndTheSamePaneTwiceIsIdempotent()
      throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 5), 10, 3)));
      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 1), 10, 2)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "ws", 5), 10, 3)));

      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 5), 10, 3)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "ws", 5), 10, 3)));

      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 6), 10, 4)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "ws", 6), 10, 4)));
    }
  }

  @Test
  public void anOlderGenerationNeverOverwritesANewerOneWhateverItsPane() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(T0, "ws", 9), 20, 0),
                  v(CuratedRow.completeness(T0, Granularity.HOUR, "received", 40), 20, 1)));
      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(T0, "ws", 1), 10, 50),
                  v(CuratedRow.completeness(T0, Granularity.HOUR, "received", 1), 10, 50)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "ws", 9), 20, 0)));
      assertThat(
          w.curated().read(CuratedTable.PIPELINE_COMPLETENESS),
          contains(CuratedRow.completeness(T0, Granularity.HOUR, "received", 40)));

      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 2), 30, 0)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "ws", 2), 30, 0)));
    }
  }

  @Test
  public void withinOneCallTheGreatestVersionOfAKeyWins() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(T0, "ws", 5), 10, 5),
                  v(editors(T0, "ws", 20), 20, 0),
                  v(editors(T0, "ws", 9), 10, 9),
                  v(editors(T0, "other", 1), 10, 1)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "other", 1), 10, 1), v(editors(T0, "ws", 20), 20, 0)));
    }
  }

  /**
   * Stored by generation 5: in scope (DAY) three hour rows and one day row, outside scope the hour
   * before DAY and the first hour after it, and completeness rows of DAY.
   */
  static List<VersionedRow> storedBeforeReplay() {
    return List.of(
        v(editors(DAY_START, "ws1", 10), 5, 2),
        v(editors(DAY_START + 5 * HOUR, "ws1", 20), 5, 0),
        v(editors(DAY_START + 23 * HOUR, "ws2", 30), 5, 1),
        v(CuratedRow.activeEditors(DAY_START, Granularity.DAY, "ws1", 40), 5, 0),
        v(editors(DAY_START - HOUR, "ws1", 99), 5, 0),
        v(editors(DAY_START + DAY_MS, "ws1", 98), 5, 0),
        v(CuratedRow.taskUpdateVelocity(DAY_START, Granularity.DAY, "ws1", 7, 3, 1), 5, 0),
        v(
            CuratedRow.notificationFanout(
                DAY_START, Granularity.DAY, "ws1", "comment.added", 2, 4, 3),
            5,
            0),
        v(CuratedRow.completeness(DAY_START, Granularity.HOUR, "received", 100), 5, 0),
        v(CuratedRow.completeness(DAY_START + HOUR, Granularity.HOUR, "received", 200), 5, 0));
  }

  /**
   * The replay's output for DAY, generation 10: ws1 at 00:00 unchanged, ws1 at 05:00 changed (20 to
   * 25), ws2 at 23:00 gone (a disappeared key), a new key (ws3 at 12:00), the day row changed (40
   * to 41), velocity unchanged, fanout changed; plus a partial window outside the scope (the first
   * hour after DAY) and a completeness row, neither of which a commit may write.
   */
  static List<CuratedRow> replayOutput() {
    return List.of(
        editors(DAY_START, "ws1", 10),
        editors(DAY_START + 5 * HOUR, "ws1", 25),
        editors(DAY_START + 12 * HOUR, "ws3", 3),
        CuratedRow.activeEditors(DAY_START, Granularity.DAY, "ws1", 41),
        editors(DAY_START + DAY_MS, "ws1", 1),
        CuratedRow.taskUpdateVelocity(DAY_START, Granularity.DAY, "ws1", 7, 3, 1),
        CuratedRow.notificationFanout(DAY_START, Granularity.DAY, "ws1", "comment.added", 2, 10, 6),
        CuratedRow.completeness(DAY_START, Granularity.HOUR, "received", 1));
  }

  private JdbcWarehouse stagedReplay() throws Exception {
    JdbcWarehouse w = Warehouses.openJdbc(url());
    w.curated().ensureTables();
    w.curated().upsertVersioned(storedBeforeReplay());
    w.log().begin(10, GenerationLog.Kind.REPLAY, ReplayScope.day(DAY));
    w.staging().stage(10, replayOutput());
    return w;
  }

  @Test
  public void stagingNeverTouchesTheCuratedTablesAndIsIdempotentByPane() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.staging().stage(10, replayOutput());
      w.staging().stage(10, replayOutput());
      w.staging().stage(List.of(v(editors(DAY_START, "ws1", 11), 10, 2)));
      w.staging().stage(List.of(v(editors(DAY_START, "ws1", 12), 10, 1)));
      assertThat(readAll(w), empty());
      List<VersionedRow> staged = w.staging().readStaged(10, CuratedTable.ACTIVE_EDITORS);
      assertThat(staged, hasSize(5));
      // key order: (00:00, "day", ws1) before (00:00, "hour", ws1)
      assertThat(staged.get(1), equalTo(v(editors(DAY_START, "ws1", 11), 10, 2)));
      assertThat(w.staging().readStaged(10, CuratedTable.PIPELINE_COMPLETENESS), empty());
      assertThat(w.staging().countStaged(10), is(7L));
      assertThat(w.staging().countStaged(11), is(0L));
    }
  }

  @Test
  public void aCommitReplacesExactlyTheScopeAndRemovesDisappearedKeys() throws Exception {
    try (JdbcWarehouse w = stagedReplay()) {
      ReplayCommit commit = w.staging().commitReplay(10, ReplayScope.day(DAY));

      assertThat(
          new HashSet<>(w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS)),
          equalTo(
              Set.of(
                  v(editors(DAY_START, "ws1", 10), 10, 0),
                  v(editors(DAY_START + 5 * HOUR, "ws1", 25), 10, 0),
                  v(editors(DAY_START + 12 * HOUR, "ws3", 3), 10, 0),
                  v(CuratedRow.activeEditors(DAY_START, Granularity.DAY, "ws1", 41), 10, 0),
                  // outside the scope: untouched, including the partial window the replay staged
                  v(editors(DAY_START - HOUR, "ws1", 99), 5, 0),
                  v(editors(DAY_START + DAY_MS, "ws1", 98), 5, 0))));
      assertThat(
          w.curated().readVersioned(CuratedTable.TASK_UPDATE_VELOCITY),
          contains(
              v(CuratedRow.taskUpdateVelocity(DAY_START, Granularity.DAY, "ws1", 7, 3, 1), 10, 0)));
      assertThat(
          w.curated().read(CuratedTable.NOTIFICATION_FANOUT),
          contains(
              CuratedRow.notificationFanout(
                  DAY_START, Granularity.DAY, "ws1", "comment.added", 2, 10, 6)));
      assertThat(
          w.curated().readVersioned(CuratedTable.PIPELINE_COMPLETENESS),
          contains(
              v(CuratedRow.completeness(DAY_START, Granularity.HOUR, "received", 100), 5, 0),
              v(
                  CuratedRow.completeness(DAY_START + HOUR, Granularity.HOUR, "received", 200),
                  5,
                  0)));

      assertThat(commit.rowsRemoved().get(CuratedTable.ACTIVE_EDITORS), is(1L));
      assertThat(commit.rowsWritten().get(CuratedTable.ACTIVE_EDITORS), is(4L));
      assertThat(commit.rowsOutsideScope().get(CuratedTable.ACTIVE_EDITORS), is(1L));
      assertThat(commit.totalRowsWritten(), is(6L));
      assertThat(commit.totalRowsRemoved(), is(1L));
      assertThat(w.staging().countStaged(10), is(0L));
      GenerationLog.Entry entry = w.log().entry(10).get();
      assertThat(entry.status(), is(GenerationLog.Status.COMMITTED));
      assertThat(entry.rowsStaged(), is(7L));
      assertThat(entry.rowsCommitted(), is(6L));
      assertThat(entry.finishedAt() != null, is(true));
    }
  }

  @Test
  public void aCommitIsRefusedWholeWhenANewerGenerationHoldsAWindowOfTheScope() throws Exception {
    try (JdbcWarehouse w = stagedReplay()) {
      // a newer stream epoch wrote one fanout window of the day
      w.curated()
          .upsertVersioned(
              List.of(
                  v(
                      CuratedRow.notificationFanout(
                          DAY_START, Granularity.HOUR, "ws9", "task.completed", 1, 1, 1),
                      50,
                      0)));
      List<CuratedRow> before = readAll(w);

      GenerationFencedException e =
          assertThrows(
              GenerationFencedException.class,
              () -> w.staging().commitReplay(10, ReplayScope.day(DAY)));
      assertThat(e.table(), is(CuratedTable.NOTIFICATION_FANOUT));
      assertThat(e.newerGeneration(), is(50L));
      assertThat(e.getMessage(), containsString("newer generation 50"));

      assertThat(readAll(w), equalTo(before));
      assertThat(w.staging().countStaged(10), is(7L));
      assertThat(w.log().entry(10).get().status(), is(GenerationLog.Status.RUNNING));
      assertThat(w.staging().diff(10, ReplayScope.day(DAY)).wouldBeRefused(), is(true));
    }
  }

  @Test
  public void aFailureMidCommitLeavesThePreviousValuesAndTheStagedRows() throws Exception {
    try (JdbcWarehouse w = stagedReplay()) {
      // A bad staged row in the LAST table a commit writes: the first two tables are already
      // replaced when it fails.
      try (Statement st = w.connection().createStatement()) {
        st.executeUpdate(
            "UPDATE "
                + JdbcReplayStaging.stagingTable(CuratedTable.NOTIFICATION_FANOUT)
                + " SET fanout_avg = NULL WHERE generation = 10");
      }
      List<VersionedRow> before = new ArrayList<>();
      for (CuratedTable t : CuratedTable.values()) {
        before.addAll(w.curated().readVersioned(t));
      }

      assertThrows(SQLException.class, () -> w.staging().commitReplay(10, ReplayScope.day(DAY)));

      List<VersionedRow> after = new ArrayList<>();
      for (CuratedTable t : CuratedTable.values()) {
        after.addAll(w.curated().readVersioned(t));
      }
      assertThat(after, equalTo(before));
      assertThat(w.staging().countStaged(10), is(7L));
      assertThat(w.log().entry(10).get().status(), is(GenerationLog.Status.RUNNING));
      // and the handle still works
      w.curated().upsertVersioned(List.of(v(editors(T0 + DAY_MS * 3, "ws", 1), 60, 0)));
      assertThat(w.curated().read(CuratedTable.ACTIVE_EDITORS), hasSize(7));
    }
  }

  @Test
  public void theDiffNamesExactlyTheRowsACommitWouldAddRemoveAndChangeAndWritesNothing()
      throws Exception {
    try (JdbcWarehouse w = stagedReplay()) {
      List<VersionedRow> before = w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS);
      WarehouseDiff diff = w.staging().diff(10, ReplayScope.day(DAY));

      assertThat(diff.generation(), is(10L));
      assertThat(diff.isEmpty(), is(false));
      assertThat(diff.wouldBeRefused(), is(false));
      WarehouseDiff.TableDiff editors = diff.table(CuratedTable.ACTIVE_EDITORS);
      assertThat(editors.rowsBefore(), is(4L));
      assertThat(editors.rowsAfter(), is(4L));
      assertThat(editors.rowsAdded(), is(1L));
      assertThat(editors.rowsRemoved(), is(1L));
      assertThat(editors.rowsChanged(), is(2L));
      assertThat(editors.rowsOutsideScope(), is(1L));
      assertThat(
          editors.windowsChanged(),
          contains(
              WarehouseDiff.Window.of(DAY_START, "day"),
              WarehouseDiff.Window.of(DAY_START + 5 * HOUR, "hour"),
              WarehouseDiff.Window.of(DAY_START + 12 * HOUR, "hour"),
              WarehouseDiff.Window.of(DAY_START + 23 * HOUR, "hour")));
      // by magnitude: ws2 removed (30), ws1 05:00 changed (5), ws3 added (3), day changed (1)
      assertThat(
          editors.largestChanges(),
          contains(
              WarehouseDiff.RowChange.of(editors(DAY_START + 23 * HOUR, "ws2", 30), null),
              WarehouseDiff.RowChange.of(
                  editors(DAY_START + 5 * HOUR, "ws1", 20),
                  editors(DAY_START + 5 * HOUR, "ws1", 25)),
              WarehouseDiff.RowChange.of(null, editors(DAY_START + 12 * HOUR, "ws3", 3)),
              WarehouseDiff.RowChange.of(
                  CuratedRow.activeEditors(DAY_START, Granularity.DAY, "ws1", 40),
                  CuratedRow.activeEditors(DAY_START, Granularity.DAY, "ws1", 41))));
      assertThat(editors.largestChanges().get(0).kind(), is(WarehouseDiff.ChangeKind.REMOVED));
      assertThat(editors.largestChanges().get(1).magnitude(), is(5.0));

      assertThat(diff.table(CuratedTable.TASK_UPDATE_VELOCITY).isEmpty(), is(true));
      assertThat(diff.table(CuratedTable.TASK_UPDATE_VELOCITY).windowsChanged(), empty());
      WarehouseDiff.TableDiff fanout = diff.table(CuratedTable.NOTIFICATION_FANOUT);
      assertThat(fanout.rowsChanged(), is(1L));
      assertThat(fanout.largestChanges(), hasSize(1));
      assertThat(fanout.largestChanges().get(0).magnitude(), is(6.0));

      assertThat(
          w.staging()
              .diff(10, ReplayScope.day(DAY), 2)
              .table(CuratedTable.ACTIVE_EDITORS)
              .largestChanges(),
          equalTo(editors.largestChanges().subList(0, 2)));
      assertThat(w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS), equalTo(before));
      assertThat(w.staging().countStaged(10), is(7L));
    }
  }

  @Test
  public void theDiffOfAReplayThatReproducesTheTablesIsEmpty() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      List<CuratedRow> rows = new ArrayList<>();
      for (VersionedRow row : storedBeforeReplay()) {
        rows.add(row.row());
      }
      w.curated().upsertVersioned(storedBeforeReplay());
      w.staging().stage(10, rows);
      WarehouseDiff diff = w.staging().diff(10, ReplayScope.day(DAY));
      assertThat(diff.isEmpty(), is(true));
      assertThat(diff.table(CuratedTable.ACTIVE_EDITORS).rowsBefore(), is(4L));
      assertThat(diff.table(CuratedTable.ACTIVE_EDITORS).largestChanges(), empty());
    }
  }

  @Test
  public void discardDropsOnlyTheStagedRowsOfItsGeneration() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.staging().stage(10, replayOutput());
      w.staging().stage(11, replayOutput().subList(0, 2));
      assertThat(w.staging().discardStaged(10), is(7L));
      assertThat(w.staging().countStaged(10), is(0L));
      assertThat(w.staging().countStaged(11), is(2L));
      assertThat(readAll(w), empty());
    }
  }

  @Test
  public void theGenerationLogRecordsEachGenerationAndOnlyACommitMarksAReplayCommitted()
      throws Exception {
    ReplayScope range = ReplayScope.of(DAY.minusDays(1), DAY);
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.log().begin(7, GenerationLog.Kind.STREAM, null);
      w.log().begin(10, GenerationLog.Kind.REPLAY, range);
      GenerationLog.Entry running = w.log().entry(10).get();
      assertThat(running.status(), is(GenerationLog.Status.RUNNING));
      assertThat(running.kind(), is(GenerationLog.Kind.REPLAY));
      assertThat(running.range(), equalTo(range));
      assertThat(running.finishedAt(), is(nullValue()));

      w.staging().stage(10, replayOutput());
      w.log().markDryRun(10);
      GenerationLog.Entry dryRun = w.log().entry(10).get();
      assertThat(dryRun.status(), is(GenerationLog.Status.DRY_RUN));
      assertThat(dryRun.rowsStaged(), is(7L));
      IllegalStateException notRunning =
          assertThrows(
              IllegalStateException.class,
              () -> w.staging().commitReplay(10, ReplayScope.day(DAY)));
      assertThat(notRunning.getMessage(), containsString("dry_run"));

      w.log().begin(10, GenerationLog.Kind.REPLAY, range);
      IllegalStateException wider =
          assertThrows(
              IllegalStateException.class,
              () -> w.staging().commitReplay(10, ReplayScope.of(DAY, DAY.plusDays(1))));
      assertThat(
          wider.getMessage(), containsString("may only replace windows the replay recomputed"));
      assertThat(w.log().markFailed(10), is(true));
      assertThat(w.log().entry(10).get().status(), is(GenerationLog.Status.FAILED));
      assertThrows(
          IllegalStateException.class, () -> w.staging().commitReplay(10, ReplayScope.day(DAY)));
      assertThat(readAll(w), empty());

      w.log().begin(10, GenerationLog.Kind.REPLAY, range);
      w.staging().commitReplay(10, ReplayScope.day(DAY));
      assertThat(w.log().entry(10).get().status(), is(GenerationLog.Status.COMMITTED));
      assertThat(w.log().markFailed(10), is(false));
      assertThat(w.log().entry(10).get().status(), is(GenerationLog.Status.COMMITTED));
      assertThrows(
          IllegalStateException.class, () -> w.staging().commitReplay(10, ReplayScope.day(DAY)));
      assertThrows(
          IllegalStateException.class, () -> w.log().begin(10, GenerationLog.Kind.REPLAY, range));
      assertThrows(
          IllegalStateException.class, () -> w.staging().commitReplay(12, ReplayScope.day(DAY)));
      assertThrows(IllegalStateException.class, () -> w.log().markCommitted(10));

      w.log().markCommitted(7);
      assertThat(w.log().markFailed(99), is(false));
      List<GenerationLog.Entry> all = w.log().entries();
      assertThat(all, hasSize(2));
      assertThat(all.get(0).generation(), is(7L));
      assertThat(all.get(0).kind(), is(GenerationLog.Kind.STREAM));
      assertThat(all.get(0).range(), is(nullValue()));
      assertThat(all.get(0).status(), is(GenerationLog.Status.COMMITTED));
      assertThat(all.get(1).rowsCommitted(), is(6L));
    }
  }

  @Test
  public void ensureTablesAddsTheVersionColumnsToATableCreatedBeforeGenerations() throws Exception {
    // Opening creates the database (for DuckDB its file and directory), not its tables.
    Warehouses.openJdbc(url()).close();
    try (Connection c = DriverManager.getConnection(url());
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE active_editors (window_start "
              + timestampType()
              + " NOT NULL, window_end "
              + timestampType()
              + " NOT NULL, granularity VARCHAR NOT NULL, workspace_gid VARCHAR NOT NULL,"
              + " active_editors BIGINT NOT NULL, PRIMARY KEY (window_start, granularity, workspace_gid))");
    }
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated().ensureTables();
      w.curated().upsert(List.of(editors(T0, "old", 1), editors(T0, "ws", 1)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS).get(0),
          equalTo(v(editors(T0, "old", 1), 0, 0)));
      w.curated().upsertVersioned(List.of(v(editors(T0, "ws", 2), 1, 0)));
      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(v(editors(T0, "old", 1), 0, 0), v(editors(T0, "ws", 2), 1, 0)));
    }
  }

  @Test
  public void aReplayScopeCoversWholeUtcDaysOfTheMetricTablesOnly() {
    ReplayScope scope = ReplayScope.of(DAY, DAY.plusDays(1));
    assertThat(scope.startMillis(), is(DAY_START));
    assertThat(scope.endMillisExclusive(), is(DAY_START + 2 * DAY_MS));
    assertThat(scope.covers(editors(DAY_START, "ws", 1)), is(true));
    assertThat(
        scope.covers(CuratedRow.activeEditors(DAY_START + DAY_MS, Granularity.DAY, "ws", 1)),
        is(true));
    assertThat(scope.covers(editors(DAY_START - HOUR, "ws", 1)), is(false));
    assertThat(scope.covers(editors(DAY_START + 2 * DAY_MS, "ws", 1)), is(false));
    assertThat(
        scope.covers(CuratedRow.completeness(DAY_START, Granularity.HOUR, "received", 1)),
        is(false));
    assertThrows(IllegalArgumentException.class, () -> ReplayScope.of(DAY, DAY.minusDays(1)));
  }

  // ------------------------------------------------------------------ stateless starts

  /**
   * A stream of generation 7 that started without the state of generation 5 and reads arrivals from
   * 03:30 on, with a 1-hour event-time-ahead bound: metric windows starting before 04:30 and
   * completeness hours before 04:00 are partial.
   */
  static final PartialWindows FRESH =
      PartialWindows.of(
          java.time.Instant.ofEpochMilli(DAY_START + 3 * HOUR + HOUR / 2),
          java.time.Duration.ofHours(1));

  @Test
  public void aStatelessStartNeverReplacesAnotherGenerationsRowOfAPartialWindowAndRecordsIt()
      throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(DAY_START + 2 * HOUR, "ws1", 50), 5, 3),
                  v(editors(DAY_START + 4 * HOUR, "ws1", 40), 5, 1),
                  v(editors(DAY_START + 5 * HOUR, "ws1", 30), 5, 0),
                  v(
                      CuratedRow.completeness(
                          DAY_START + 3 * HOUR, Granularity.HOUR, "received", 100),
                      5,
                      0),
                  v(
                      CuratedRow.completeness(
                          DAY_START + 4 * HOUR, Granularity.HOUR, "received", 10),
                      5,
                      0)));
      assertThat(w.curated().correctionsDue(), empty());

      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(DAY_START + 2 * HOUR, "ws1", 5), 7, 0),
                  v(editors(DAY_START + 2 * HOUR, "ws2", 3), 7, 0),
                  v(editors(DAY_START + 4 * HOUR, "ws1", 4), 7, 0),
                  v(editors(DAY_START + 5 * HOUR, "ws1", 2), 7, 0),
                  v(
                      CuratedRow.completeness(
                          DAY_START + 3 * HOUR, Granularity.HOUR, "received", 1),
                      7,
                      0),
                  v(
                      CuratedRow.completeness(
                          DAY_START + 4 * HOUR, Granularity.HOUR, "received", 2),
                      7,
                      0)),
              FRESH);
      // later panes of the same stream: its own rows advance, the older generation's stay
      w.curated()
          .upsertVersioned(
              List.of(
                  v(editors(DAY_START + 2 * HOUR, "ws1", 9), 7, 1),
                  v(editors(DAY_START + 2 * HOUR, "ws2", 6), 7, 1),
                  v(editors(DAY_START - HOUR, "ws1", 1), 7, 0)),
              FRESH);

      assertThat(
          w.curated().readVersioned(CuratedTable.ACTIVE_EDITORS),
          contains(
              v(editors(DAY_START - HOUR, "ws1", 1), 7, 0),
              v(editors(DAY_START + 2 * HOUR, "ws1", 50), 5, 3),
              v(editors(DAY_START + 2 * HOUR, "ws2", 6), 7, 1),
              v(editors(DAY_START + 4 * HOUR, "ws1", 40), 5, 1),
              // at/after the bound: the fence of every live write, a newer generation wins
              v(editors(DAY_START + 5 * HOUR, "ws1", 2), 7, 0)));
      assertThat(
          w.curated().readVersioned(CuratedTable.PIPELINE_COMPLETENESS),
          contains(
              v(
                  CuratedRow.completeness(DAY_START + 3 * HOUR, Granularity.HOUR, "received", 100),
                  5,
                  0),
              v(
                  CuratedRow.completeness(DAY_START + 4 * HOUR, Granularity.HOUR, "received", 2),
                  7,
                  0)));
      // every metric window below the bound it wrote, once, under its generation; completeness
      // hours are not due (a replay never rewrites them)
      assertThat(
          w.curated().correctionsDue(),
          contains(
              CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START - HOUR), "hour", 7),
              CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START + 2 * HOUR), "hour", 7),
              CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START + 4 * HOUR), "hour", 7)));

      // the correction replay of DAY takes the windows over and clears what it recomputed
      w.log().begin(10, GenerationLog.Kind.REPLAY, ReplayScope.day(DAY));
      w.staging()
          .stage(
              10,
              List.of(
                  editors(DAY_START + 2 * HOUR, "ws1", 55),
                  editors(DAY_START + 2 * HOUR, "ws2", 6),
                  editors(DAY_START + 4 * HOUR, "ws1", 44),
                  editors(DAY_START + 5 * HOUR, "ws1", 32)));
      w.staging().commitReplay(10, ReplayScope.day(DAY));
      assertThat(
          w.curated().read(CuratedTable.ACTIVE_EDITORS),
          contains(
              editors(DAY_START - HOUR, "ws1", 1),
              editors(DAY_START + 2 * HOUR, "ws1", 55),
              editors(DAY_START + 2 * HOUR, "ws2", 6),
              editors(DAY_START + 4 * HOUR, "ws1", 44),
              editors(DAY_START + 5 * HOUR, "ws1", 32)));
      assertThat(
          w.curated().correctionsDue(),
          contains(CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START - HOUR), "hour", 7)));
    }
  }

  @Test
  public void daysRecordedDueAtAStatelessStartAreKeptOnceAndClearedByTheirReplay()
      throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      CorrectionDue yesterday =
          CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START - 24 * HOUR), "day", 7);
      CorrectionDue today = CorrectionDue.of(java.time.Instant.ofEpochMilli(DAY_START), "day", 7);
      w.curated().recordCorrectionsDue(List.of(yesterday, today));
      w.curated().recordCorrectionsDue(List.of(today)); // a second start of generation 7
      assertThat(w.curated().correctionsDue(), contains(yesterday, today));
      assertThrows(
          IllegalArgumentException.class,
          () ->
              w.curated()
                  .recordCorrectionsDue(
                      List.of(
                          CorrectionDue.of(
                              java.time.Instant.ofEpochMilli(DAY_START), "fortnight'", 7))));

      w.log().begin(10, GenerationLog.Kind.REPLAY, ReplayScope.day(DAY));
      w.staging().stage(10, List.of(editors(DAY_START + 2 * HOUR, "ws1", 55)));
      w.staging().commitReplay(10, ReplayScope.day(DAY));
      assertThat(w.curated().correctionsDue(), contains(yesterday));
    }
  }

  @Test
  public void theGenerationLogKeepsWhereAStatelessStreamSawWindowsWholeFrom() throws Exception {
    try (JdbcWarehouse w = Warehouses.openJdbc(url())) {
      w.curated().ensureTables();
      w.log().begin(7, GenerationLog.Kind.STREAM, null);
      w.log().begin(8, GenerationLog.Kind.STREAM, null);
      w.log().recordSeenWholeFrom(7, FRESH.seenWholeFrom());
      assertThat(w.log().seenWholeFrom(7).get(), equalTo(FRESH.seenWholeFrom()));
      assertThat(w.log().seenWholeFrom(8).isPresent(), is(false));
      assertThrows(
          IllegalStateException.class, () -> w.log().recordSeenWholeFrom(9, FRESH.seenWholeFrom()));
      w.curated().ensureTables();
      assertThat(w.log().seenWholeFrom(7).get(), equalTo(FRESH.seenWholeFrom()));
    }
  }

  /** The dialect's timestamp type, for DDL written by a test. */
  protected abstract String timestampType();
}

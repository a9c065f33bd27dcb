package io.collabpipeline.it.replay;

import static io.collabpipeline.it.replay.StreamedWarehouse.assertSameTables;
import static io.collabpipeline.it.replay.StreamedWarehouse.tables;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.it.ExpectedTables;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.pipelines.CollabPipeline;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.duckdb.DuckDBDriver;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Quarantine replay through the command line: a run with a too small record limit quarantines many
 * valid events as TOO_LARGE; after the "fix" (the default limit), {@code --source=quarantine}
 * re-validates them, adds those that pass to the raw store under their original ids and arrival
 * times, and replays their dates, so the metric tables equal the values computed independently from
 * the input. Records that still fail stay quarantined, and a second quarantine replay (another
 * generation) adds its own revalidated files and replaces none of the first one's (the raw store is
 * append-only), while the raw replay's dedup by event id leaves every count as it was.
 */
@RunWith(JUnit4.class)
public class ReplayQuarantineTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  static final WorkloadSpec SPEC =
      WorkloadSpec.defaults()
          .withDeliveries(900)
          .withSeed(47L)
          .withStart(Instant.parse("2026-11-06T10:00:00Z"))
          .withSyntheticRate(1.0)
          .withDuplicateShare(0.05)
          .withLateShare(0.05)
          .withTooLateShare(0.0)
          .withMalformedShare(0.03);

  /**
   * Small enough to quarantine a good share of the generator's events (about 1.5 KB on average).
   */
  static final int TOO_SMALL_LIMIT = 1_700;

  @Test
  public void revalidatedRecordsAreFoldedInOnceEvenWhenReplayedTwice() throws Exception {
    Path dir = TMP.newFolder("data").toPath();
    StreamedWarehouse live = StreamedWarehouse.run(SPEC, dir, false, TOO_SMALL_LIMIT);
    int quarantined = QuarantineIO.readRecords(live.live.quarantineStore()).size();
    long rowsBefore = rawRows(live.live.rawStore());
    long tooLarge =
        QuarantineIO.readRecords(live.live.quarantineStore()).stream()
            .filter((QuarantineRecord q) -> q.reason() == ReasonCode.TOO_LARGE)
            .count();
    assertThat("the small limit quarantined valid events", tooLarge, greaterThan(30L));

    ExpectedTables expected =
        ExpectedTables.compute(SPEC, WindowingPolicy.DEFAULT_ALLOWED_LATENESS.getMillis());
    long malformed = expected.quarantineReasons.values().stream().mapToLong(Long::longValue).sum();

    String first = cli(dir, 2_000L);
    assertThat(first, containsString("still fail"));
    assertThat(first, containsString(String.format("%,d still fail", malformed)));
    assertThat(first, containsString("quarantine_replay generation 2000"));
    Map<CuratedTable, Set<CuratedRow>> afterFirst = tables(live.warehouseUrl());
    assertSameTables(
        "after the quarantine replay", byTable(expected.rows), afterFirst, ReplayScope.TABLES);
    long rawRows = rawRows(live.live.rawStore());
    long revalidated = rawRows - rowsBefore;
    assertThat("the first replay added the events that now pass", revalidated, greaterThan(30L));
    Map<String, String> rawFiles = StreamedWarehouse.fileStamps(live.live.rawStore());

    cli(dir, 3_000L);
    assertSameTables(
        "after a second quarantine replay",
        afterFirst,
        tables(live.warehouseUrl()),
        List.of(CuratedTable.values()));
    assertThat(
        "the second replay's copies added, the dedup counts them once",
        rawRows(live.live.rawStore()),
        equalTo(rawRows + revalidated));
    Map<String, String> after = StreamedWarehouse.fileStamps(live.live.rawStore());
    for (Map.Entry<String, String> f : rawFiles.entrySet()) {
      assertThat("kept, unchanged: " + f.getKey(), after.get(f.getKey()), equalTo(f.getValue()));
    }
    Set<String> added = new TreeSet<>(after.keySet());
    added.removeAll(rawFiles.keySet());
    assertThat(added.isEmpty(), equalTo(false));
    for (String f : added) {
      assertThat(f, f.endsWith("-g3000.parquet") && f.contains("/revalidated-a"), equalTo(true));
    }
    assertThat(
        "still-failing records are not quarantined again",
        QuarantineIO.readRecords(live.live.quarantineStore()).size(),
        equalTo(quarantined));
  }

  private static String cli(Path dir, long generation) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        CollabPipeline.runCli(
            new String[] {
              "--source=quarantine",
              "--from=2026-11-06",
              "--to=2026-11-06",
              "--dataDir=" + dir,
              "--generation=" + generation,
              "--parallelism=2",
              "--progressSeconds=0"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertThat(printed, code, equalTo(0));
    return printed;
  }

  private static long rawRows(String rawStore) throws Exception {
    try (Connection c = new DuckDBDriver().connect("jdbc:duckdb:", new java.util.Properties());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM read_parquet('" + rawStore + "/**/*.parquet')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Map<CuratedTable, Set<CuratedRow>> byTable(Set<CuratedRow> rows) {
    Map<CuratedTable, Set<CuratedRow>> out = new EnumMap<>(CuratedTable.class);
    for (CuratedTable t : CuratedTable.values()) {
      out.put(t, StreamedWarehouse.only(rows, t));
    }
    return out;
  }
}

package io.collabpipeline.it.replay;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.RawReplayJob;
import io.collabpipeline.pipelines.warehouse.JdbcWarehouse;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;

/**
 * Shared set-up of the replay tests: run the whole graph on a generated input on embedded Flink
 * (streaming or batch), copy its DuckDB warehouse for each test, replay, and compare tables.
 */
final class StreamedWarehouse {
  /** Generation of the live run the tests replay over; replays use higher ones. */
  static final long STREAM_GENERATION = 1_000L;

  final Path dir;
  final GraphConfig live;

  private StreamedWarehouse(Path dir, GraphConfig live) {
    this.dir = dir;
    this.live = live;
  }

  static FlinkPipelineOptions flink(boolean streaming) {
    FlinkPipelineOptions options = EmbeddedFlink.options(streaming, 2);
    options.setObjectReuse(true);
    FileSystems.setDefaultPipelineOptions(options);
    return options;
  }

  /** Runs the whole graph on {@code spec} into {@code dir} (raw, quarantine, warehouse.duckdb). */
  static StreamedWarehouse run(WorkloadSpec spec, Path dir, boolean streaming, int maxRecordBytes)
      throws Exception {
    GraphConfig live =
        GraphConfig.underDataDir(dir.toString()).toBuilder()
            .setGeneration(STREAM_GENERATION)
            .setMaxRecordBytes(maxRecordBytes)
            .build();
    FlinkPipelineOptions options = flink(streaming);
    Pipeline p = Pipeline.create(options);
    CollabGraph.apply(p.apply("ReadGenerator", GeneratorSource.of(spec)), live);
    PipelineResult.State state = p.run().waitUntilFinish();
    assertThat("live run state", state, equalTo(PipelineResult.State.DONE));
    return new StreamedWarehouse(dir, live);
  }

  /** The UTC dates of the raw store's partitions, first to last. */
  ReplayScope rawDates() throws IOException {
    try (Stream<Path> parts = Files.list(Path.of(live.rawStore()))) {
      TreeSet<LocalDate> dates =
          parts
              .map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("dt="))
              .map(n -> LocalDate.parse(n.substring(3)))
              .collect(Collectors.toCollection(TreeSet::new));
      return ReplayScope.of(dates.first(), dates.last());
    }
  }

  /**
   * The JDBC URL of the live run's warehouse ({@link GraphConfig#underDataDir}: {@code
   * warehouse.duckdb}).
   */
  String warehouseUrl() {
    return "jdbc:duckdb:" + dir + "/warehouse.duckdb";
  }

  /** A copy of the live warehouse file, for one test to change; returns its JDBC URL. */
  String copyWarehouse(Path target) throws IOException {
    Files.createDirectories(target);
    Path db = target.resolve("warehouse.duckdb");
    Files.copy(Path.of(dir.toString(), "warehouse.duckdb"), db);
    Path wal = Path.of(dir.toString(), "warehouse.duckdb.wal");
    if (Files.exists(wal)) {
      Files.copy(wal, target.resolve("warehouse.duckdb.wal"));
    }
    return "jdbc:duckdb:" + db;
  }

  /** A replay request over {@code range} of this run's raw store into {@code warehouseUrl}. */
  RawReplayJob replay(
      String warehouseUrl, long generation, ReplayScope range, boolean dryRun, Path reports) {
    GraphConfig graph =
        live.toBuilder()
            .setWarehouse(WarehouseTargets.jdbc(warehouseUrl))
            .setGeneration(generation)
            .build();
    return RawReplayJob.of(JobConfig.forRawReplay(graph, range), range, dryRun, reports);
  }

  /** Every table's rows (contract columns). */
  static Map<CuratedTable, Set<CuratedRow>> tables(String warehouseUrl) throws Exception {
    Map<CuratedTable, Set<CuratedRow>> all = new EnumMap<>(CuratedTable.class);
    try (JdbcWarehouse w = Warehouses.openJdbc(warehouseUrl)) {
      for (CuratedTable t : CuratedTable.values()) {
        all.put(t, new HashSet<>(w.curated().read(t)));
      }
    }
    return all;
  }

  /** The rows of {@code table} in {@code rows}. */
  static Set<CuratedRow> only(Set<CuratedRow> rows, CuratedTable table) {
    return rows.stream().filter(r -> r.table() == table).collect(Collectors.toSet());
  }

  /**
   * Per file of a directory tree: its size and modification time, to show a replay did not rewrite
   * it.
   */
  static Map<String, String> fileStamps(String root) throws IOException {
    Map<String, String> stamps = new TreeMap<>();
    try (Stream<Path> files = Files.walk(Path.of(root))) {
      for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
        stamps.put(f.toString(), Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
      }
    }
    return stamps;
  }

  /** Equal sets, or a message naming a few rows on each side. */
  static void assertSameRows(String what, Set<CuratedRow> expected, Set<CuratedRow> actual) {
    Set<CuratedRow> missing = new HashSet<>(expected);
    missing.removeAll(actual);
    Set<CuratedRow> unexpected = new HashSet<>(actual);
    unexpected.removeAll(expected);
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new AssertionError(
          what
              + ": "
              + expected.size()
              + " rows expected, "
              + actual.size()
              + " found; "
              + missing.size()
              + " missing, e.g. "
              + first(missing)
              + "; "
              + unexpected.size()
              + " unexpected, e.g. "
              + first(unexpected));
    }
  }

  static void assertSameTables(
      String what,
      Map<CuratedTable, Set<CuratedRow>> expected,
      Map<CuratedTable, Set<CuratedRow>> actual,
      List<CuratedTable> tables) {
    StringBuilder differences = new StringBuilder();
    for (CuratedTable t : tables) {
      try {
        assertSameRows(what + " " + t.tableName(), expected.get(t), actual.get(t));
      } catch (AssertionError e) {
        differences.append(e.getMessage()).append('\n');
      }
    }
    if (differences.length() > 0) {
      throw new AssertionError(differences.toString());
    }
  }

  private static String first(Set<CuratedRow> rows) {
    return rows.stream().map(Object::toString).sorted().limit(3).collect(Collectors.joining(", "));
  }

  /** A print stream that keeps what the driver prints, for assertions. */
  static PrintStream capture(OutputStream sink) {
    return new PrintStream(sink, true, java.nio.charset.StandardCharsets.UTF_8);
  }
}

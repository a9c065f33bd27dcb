package io.collabpipeline.pipelines.launch;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.warehouse.CuratedTables;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * What a finished run tells its user: the records per stage (from the warehouse's {@code
 * pipeline_completeness}, the same numbers a dashboard would show), whether they add up, the
 * quarantine reasons, where every output is, and queries to paste.
 */
public final class RunSummary {
  private static final String DUCKDB_PREFIX = "jdbc:duckdb:";
  private final Map<Stage, Long> stages = new EnumMap<>(Stage.class);
  private final Map<String, Long> reasons = new TreeMap<>();
  private final Map<CuratedTable, Integer> tableRows = new LinkedHashMap<>();
  private final JobConfig job;
  private final String runnerDescription;
  private final double seconds;

  private RunSummary(JobConfig job, String runnerDescription, double seconds) {
    this.job = job;
    this.runnerDescription = runnerDescription;
    this.seconds = seconds;
  }

  /** Reads the outputs of a finished run. */
  public static RunSummary collect(
      JobConfig job, PipelineResult result, String runnerDescription, double seconds)
      throws Exception {
    RunSummary s = new RunSummary(job, runnerDescription, seconds);
    for (Stage stage : Stage.values()) {
      s.stages.put(stage, 0L);
    }
    try (Warehouse warehouse = job.graph.warehouse().open()) {
      Optional<CuratedTables> tables = warehouse.tables();
      if (tables.isEmpty()) {
        return s; // not read back (Snowflake): query pipeline_completeness there
      }
      List<CuratedRow> completeness = List.of();
      for (CuratedTable table : CuratedTable.values()) {
        List<CuratedRow> rows = tables.get().read(table);
        s.tableRows.put(table, rows.size());
        if (table == CuratedTable.PIPELINE_COMPLETENESS) {
          completeness = rows;
        }
      }
      for (CuratedRow row : completeness) {
        if (!"hour".equals(row.getString("granularity"))) {
          continue;
        }
        for (Stage stage : Stage.values()) {
          if (stage.code().equals(row.getString("stage"))) {
            s.stages.merge(stage, row.getLong("events"), Long::sum);
          }
        }
      }
    }
    if (result != null) {
      MetricQueryResults metrics =
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.inNamespace("validate"))
                      .build());
      for (MetricResult<Long> c : metrics.getCounters()) {
        String name = c.getName().getName();
        if (name.startsWith("quarantined.")) {
          long n = attemptedOrCommitted(c);
          if (n > 0) {
            s.reasons.merge(name.substring("quarantined.".length()), n, Long::sum);
          }
        }
      }
    }
    return s;
  }

  private static long attemptedOrCommitted(MetricResult<Long> c) {
    try {
      Long committed = c.getCommitted();
      return committed == null ? c.getAttempted() : committed;
    } catch (UnsupportedOperationException e) {
      return c.getAttempted();
    }
  }

  public long stage(Stage stage) {
    return stages.getOrDefault(stage, 0L);
  }

  /**
   * received = quarantined + duplicate + accepted, and every accepted record reached the raw store.
   */
  public boolean addsUp() {
    return stage(Stage.RECEIVED)
            == stage(Stage.QUARANTINED) + stage(Stage.DUPLICATE) + stage(Stage.ACCEPTED)
        && stage(Stage.RAW_WRITTEN) == stage(Stage.ACCEPTED);
  }

  public void print(PrintStream out) {
    out.println();
    out.printf(
        "collab-pipeline finished in %.1f s on %s, source %s%n",
        seconds, runnerDescription, describeSource());
    out.println();
    out.println("  records by stage (pipeline_completeness, all hours)");
    for (Stage stage : Stage.values()) {
      String note =
          stage == Stage.LATE && stage(stage) > 0
              ? "  (of accepted: too late for some metric windows; kept raw, a correction replay folds them in)"
              : "";
      out.printf("    %-12s %,14d%s%n", stage.code(), stage(stage), note);
    }
    String check =
        String.format(
            "received %,d = quarantined %,d + duplicate %,d + accepted %,d",
            stage(Stage.RECEIVED),
            stage(Stage.QUARANTINED),
            stage(Stage.DUPLICATE),
            stage(Stage.ACCEPTED));
    out.println(
        "    "
            + (addsUp() ? "OK   " : "FAIL ")
            + check
            + (stage(Stage.RAW_WRITTEN) == stage(Stage.ACCEPTED)
                ? "; every accepted event written raw"
                : "; raw_written differs from accepted"));
    if (!reasons.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<String, Long> e : reasons.entrySet()) {
        sb.append(sb.length() == 0 ? "" : ", ")
            .append(e.getKey())
            .append(' ')
            .append(String.format("%,d", e.getValue()));
      }
      out.println("    quarantine reasons: " + sb);
    }
    out.println();
    out.println("  outputs");
    out.printf(
        "    raw store    %s  (Parquet, dt=YYYY-MM-DD/hr=HH by event time%s)%n",
        job.graph.rawStore(), fileCount(job.graph.rawStore(), ".parquet"));
    out.printf(
        "    quarantine   %s  (JSON lines with the original records: access-restricted%s)%n",
        job.graph.quarantineStore(), fileCount(job.graph.quarantineStore(), ".jsonl"));
    StringBuilder rows = new StringBuilder();
    for (Map.Entry<CuratedTable, Integer> e : tableRows.entrySet()) {
      rows.append(rows.length() == 0 ? "" : ", ")
          .append(e.getKey().tableName())
          .append(' ')
          .append(e.getValue());
    }
    String warehouse = job.graph.warehouse().describe();
    out.printf("    warehouse    %s%n                 rows: %s%n", warehouse, rows);
    out.println();
    String[] queries = {
      "SELECT window_start, workspace_gid, active_editors FROM active_editors"
          + " WHERE granularity = 'hour' ORDER BY active_editors DESC LIMIT 10",
      "SELECT trigger_event_type, sum(notifications) AS notifications, max(fanout_max) AS fanout_max"
          + " FROM notification_fanout WHERE granularity = 'day' GROUP BY 1 ORDER BY 2 DESC",
      "SELECT window_start, stage, events FROM pipeline_completeness WHERE granularity = 'hour'"
          + " ORDER BY window_start, stage"
    };
    if (warehouse.startsWith(DUCKDB_PREFIX)) {
      String db = warehouse.substring(DUCKDB_PREFIX.length());
      out.println(
          "  try (bin/collab-sql runs SQL on the warehouse; add --db=" + db + " if you moved it):");
      for (String q : queries) {
        out.println("    bin/collab-sql \"" + q + "\"");
      }
      out.println(
          "    bin/collab-sql \"SELECT event_type, count(*) FROM read_parquet('"
              + job.graph.rawStore()
              + "/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 2 DESC\"");
    } else {
      out.println("  try, with the warehouse's own SQL client:");
      for (String q : queries) {
        out.println("    " + q + ";");
      }
    }
  }

  private String describeSource() {
    switch (job.source) {
      case FILES:
        return "files " + job.input;
      default:
        return String.format(
            "generator (%,d records, seed %d)", job.workload.deliveries(), job.workload.seed());
    }
  }

  private static String fileCount(String location, String suffix) {
    if (location.contains("://")) {
      return "";
    }
    Path dir = Paths.get(location);
    if (!Files.isDirectory(dir)) {
      return ", nothing written";
    }
    try (Stream<Path> files = Files.walk(dir)) {
      long n = files.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
      return ", " + n + " files";
    } catch (IOException e) {
      return "";
    }
  }
}

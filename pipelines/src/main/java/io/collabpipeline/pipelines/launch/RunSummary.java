package io.collabpipeline.pipelines.launch;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Stage;
import io.collabpipeline.pipelines.warehouse.CuratedTables;
import io.collabpipeline.pipelines.warehouse.VersionedRow;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.metrics.CompletenessTicks;
import io.collabpipeline.transforms.pii.UserKeyStores;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * What a finished run tells its user: the records per stage of THIS run (the rows of the
 * warehouse's {@code pipeline_completeness} that carry the run's generation, the same numbers a
 * dashboard would show), whether they add up, records any step dropped behind the watermark, the
 * quarantine reasons, where every output is, and queries to paste.
 *
 * <p><b>Why only this run's generation.</b> {@code pipeline_completeness} is keyed by (hour,
 * granularity, stage) and upserted with generation fencing, so a data directory (a warehouse)
 * reused by several runs holds, per hour, the rows of whichever run wrote that (hour, stage) last:
 * a second run over the same arrival hours replaces the first run's counts for the stages it
 * reaches there and leaves the first run's rows of the stages it does not (e.g. {@code quarantined}
 * in an hour where it quarantined nothing), and hours only an earlier run reached keep that run's
 * counts. Summing every row mixes runs: a false FAIL or a total of two runs. The summary sums the
 * rows of its own generation, which are exactly what this run counted when its generation is the
 * newest (the default, the job's start: fencing lets all its rows through; an older explicit {@code
 * --generation} may find hours held by a newer one, which then drop out of its sums: a note when
 * its own {@code received} ticks exceed its rows, a failure when none of its rows are left), and
 * says how many of its hours also hold rows of other generations and how many hours belong to other
 * generations only.
 */
public final class RunSummary {
  private static final String DUCKDB_PREFIX = "jdbc:duckdb:";
  private static final String DROPPED_DUE_TO_LATENESS = "droppedDueToLateness";
  private final Map<Stage, Long> stages = new EnumMap<>(Stage.class);
  private final Map<String, Long> droppedLate = new TreeMap<>();
  private final Map<String, Long> reasons = new TreeMap<>();
  private final Map<CuratedTable, Integer> tableRows = new LinkedHashMap<>();
  private final JobConfig job;
  private final String runnerDescription;
  private final double seconds;
  private boolean readBack;

  /** A stateless start: the windows of this run's generation due for a correction replay. */
  private final java.util.List<io.collabpipeline.pipelines.warehouse.CorrectionDue> correctionsDue =
      new java.util.ArrayList<>();

  private int hours;
  private int sharedHours;
  private int otherGenerationHours;
  private long receivedTicked;

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
      for (CuratedTable table : CuratedTable.values()) {
        s.tableRows.put(table, tables.get().read(table).size());
      }
      s.readBack = true;
      s.sumOwnGeneration(tables.get().readVersioned(CuratedTable.PIPELINE_COMPLETENESS));
      if (job.graph.seenWholeFrom() != null) {
        for (io.collabpipeline.pipelines.warehouse.CorrectionDue due :
            tables.get().correctionsDue()) {
          if (due.generation() == job.graph.generation()) {
            s.correctionsDue.add(due);
          }
        }
      }
    }
    if (result != null) {
      s.readRunnerCounters(result);
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
          long n = Counters.committedOrAttempted(c);
          if (n > 0) {
            s.reasons.merge(name.substring("quarantined.".length()), n, Long::sum);
          }
        }
      }
    }
    return s;
  }

  /**
   * Sums the hour rows of this run's generation per stage, and counts its hours that other
   * generations share and the hours only other generations hold.
   */
  private void sumOwnGeneration(List<VersionedRow> completeness) {
    long generation = job.graph.generation();
    Set<Long> own = new TreeSet<>();
    Set<Long> others = new TreeSet<>();
    for (VersionedRow v : completeness) {
      CuratedRow row = v.row();
      if (!"hour".equals(row.getString("granularity"))) {
        continue;
      }
      long hour = row.getLong("window_start");
      if (v.generation() != generation) {
        others.add(hour);
        continue;
      }
      own.add(hour);
      for (Stage stage : Stage.values()) {
        if (stage.code().equals(row.getString("stage"))) {
          stages.merge(stage, row.getLong("events"), Long::sum);
        }
      }
    }
    hours = own.size();
    Set<Long> shared = new TreeSet<>(own);
    shared.retainAll(others);
    sharedHours = shared.size();
    others.removeAll(own);
    otherGenerationHours = others.size();
  }

  /**
   * The runner's counts of records dropped behind the watermark (Beam's {@code
   * droppedDueToLateness}, per step: the stores' arrival windows beyond their allowed lateness,
   * completeness or metric windows beyond theirs), and the records this run ticked {@code
   * received}.
   */
  private void readRunnerCounters(PipelineResult result) {
    for (MetricResult<Long> c : result.metrics().allMetrics().getCounters()) {
      String name = c.getName().getName();
      if (name.equalsIgnoreCase(DROPPED_DUE_TO_LATENESS)) {
        long n = Counters.committedOrAttempted(c);
        if (n > 0) {
          droppedLate.merge(c.getKey().stepName(), n, Long::sum);
        }
      } else if (CompletenessTicks.METRICS_NAMESPACE.equals(c.getName().getNamespace())
          && Stage.RECEIVED.code().equals(name)) {
        receivedTicked += Counters.committedOrAttempted(c);
      }
    }
  }

  public long stage(Stage stage) {
    return stages.getOrDefault(stage, 0L);
  }

  /** The generation whose rows this summary counts: the run's own. */
  public long generation() {
    return job.graph.generation();
  }

  /** The arrival hours that hold rows of this run's generation. */
  public int hours() {
    return hours;
  }

  /** Of {@link #hours()}, those that also hold rows of other generations (not counted). */
  public int sharedHours() {
    return sharedHours;
  }

  /** Hours that hold rows of other generations only (earlier runs; not counted). */
  public int otherGenerationHours() {
    return otherGenerationHours;
  }

  /** Records dropped behind the watermark, per step (Beam's {@code droppedDueToLateness}). */
  public Map<String, Long> droppedBehindWatermark() {
    return droppedLate;
  }

  /**
   * For this run's generation: received = quarantined + duplicate + accepted, every accepted event
   * is in the committed raw-store files (raw_written), no step dropped a record behind the
   * watermark, and a run that received records has rows of its generation (none means a newer
   * generation fenced its counts off).
   */
  public boolean addsUp() {
    return stage(Stage.RECEIVED)
            == stage(Stage.QUARANTINED) + stage(Stage.DUPLICATE) + stage(Stage.ACCEPTED)
        && stage(Stage.RAW_WRITTEN) == stage(Stage.ACCEPTED)
        && droppedLate.isEmpty()
        && !(readBack && hours == 0 && receivedTicked > 0);
  }

  /** The windows of this run's generation recorded as due for a correction replay. */
  public java.util.List<io.collabpipeline.pipelines.warehouse.CorrectionDue> correctionsDue() {
    return java.util.Collections.unmodifiableList(correctionsDue);
  }

  /**
   * The raw replay that corrects {@link #correctionsDue()}: the UTC dates of their window starts,
   * first to last; null if none is due.
   */
  public @org.checkerframework.checker.nullness.qual.Nullable String correctionCommand() {
    if (correctionsDue.isEmpty()) {
      return null;
    }
    java.time.LocalDate from = null;
    java.time.LocalDate to = null;
    for (io.collabpipeline.pipelines.warehouse.CorrectionDue due : correctionsDue) {
      java.time.LocalDate d = due.windowStart().atZone(java.time.ZoneOffset.UTC).toLocalDate();
      from = from == null || d.isBefore(from) ? d : from;
      to = to == null || d.isAfter(to) ? d : to;
    }
    return "bin/collab-pipeline --source=raw --from=" + from + " --to=" + to;
  }

  /**
   * How the run made pseudonyms: the user key store's reference (passwords masked), never a secret.
   */
  public static String pseudonymsLine(String userKeyStore) {
    return UserKeyStores.isNone(userKeyStore)
        ? "pseudonyms: global key (--userKeyStore=none: an erasure cannot crypto-shred)"
        : "pseudonyms: per-user secrets in --userKeyStore=" + UserKeyStores.shown(userKeyStore);
  }

  public void print(PrintStream out) {
    out.println();
    out.printf(
        "collab-pipeline finished in %.1f s on %s, source %s%n",
        seconds, runnerDescription, describeSource());
    out.println("  " + pseudonymsLine(job.graph.userKeyStore()));
    if (job.graph.seenWholeFrom() != null) {
      out.println();
      out.printf(
          "  started without the previous job's state: windows seen whole from arrival %s%n",
          job.graph.seenWholeFrom());
      out.printf(
          "    %,d windows due for a correction replay (pipeline_corrections_due, generation %d)%s%n",
          correctionsDue.size(), generation(), correctionsDue.isEmpty() ? "" : "; fix them with:");
      if (!correctionsDue.isEmpty()) {
        out.println("    " + correctionCommand());
      }
    }
    out.println();
    out.printf(
        "  records by stage (pipeline_completeness, generation %d: this run's %,d hours)%n",
        generation(), hours);
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
                : String.format(
                    "; raw_written differs from accepted by %,d: the committed raw files hold"
                        + " %s accepted events",
                    Math.abs(stage(Stage.ACCEPTED) - stage(Stage.RAW_WRITTEN)),
                    stage(Stage.RAW_WRITTEN) < stage(Stage.ACCEPTED) ? "fewer" : "more")));
    for (Map.Entry<String, Long> d : droppedLate.entrySet()) {
      out.printf(
          "    FAIL %,d records dropped behind the watermark by %s (later than its allowed"
              + " lateness)%n",
          d.getValue(), d.getKey());
    }
    if (readBack && hours == 0 && receivedTicked > 0) {
      out.printf(
          "    FAIL the job received %,d records but the warehouse holds no completeness row of"
              + " generation %d: a newer generation holds its hours%n",
          receivedTicked, generation());
    }
    if (readBack && hours > 0 && receivedTicked > stage(Stage.RECEIVED)) {
      out.printf(
          "    note: the job ticked %,d received, its generation's rows hold %,d: hours held by a"
              + " newer generation (or bundles the runner retried and counted twice)%n",
          receivedTicked, stage(Stage.RECEIVED));
    }
    if (sharedHours > 0) {
      out.printf(
          "    %,d of these hours also hold rows of other generations (stages this run did not"
              + " reach there): not counted%n",
          sharedHours);
    }
    if (otherGenerationHours > 0) {
      out.printf(
          "    %,d hours held by other generations only (earlier runs into this warehouse): not"
              + " counted%n",
          otherGenerationHours);
    }
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
        "    raw store    %s  (Parquet, dt=YYYY-MM-DD/hr=HH by event time%s; this run's carry -g%d)%n",
        job.graph.rawStore(), fileCount(job.graph.rawStore(), ".parquet"), generation());
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

package io.collabpipeline.monitoring;

import io.collabpipeline.pipelines.warehouse.WriteCurated;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series the pipeline exports, as the tests know them: the job's and Flink's series that {@link
 * PrometheusScrapeTest} sees arrive in a real Prometheus, the exporter's families, and the
 * recording rules built on them. The dashboard and the runbooks may name only these.
 */
final class ExportedSeries {
  static final String J = "flink_taskmanager_job_task_operator_";

  /** Asserted present in Prometheus by PrometheusScrapeTest, scraped from the running job. */
  static final List<String> FROM_JOB =
      List.of(
          J + "completeness_received",
          J + "completeness_quarantined",
          J + "completeness_duplicate",
          J + "completeness_accepted",
          J + "completeness_raw_written",
          J + "completeness_late",
          J + "validate_received",
          J + "validate_accepted",
          J + "validate_quarantined",
          J + "dedup_unique",
          J + "dedup_duplicates",
          J + "kafka_records_read",
          J + "metrics_too_late_minute",
          J + "raw_archive_records",
          J + "warehouse_rows_upserted",
          "flink_jobmanager_job_numberOfCompletedCheckpoints",
          "flink_jobmanager_job_numberOfFailedCheckpoints",
          "flink_jobmanager_job_lastCheckpointDuration",
          "flink_jobmanager_job_numRestarts",
          "flink_jobmanager_job_uptime",
          "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
          "flink_taskmanager_job_task_busyTimeMsPerSecond");

  /**
   * Counters of the job that exist (named constants of their transforms) but that a short test run
   * does not tick, so no test sees them arrive: ids expiring from dedup state after the horizon,
   * the warehouse write retried.
   */
  static final List<String> FROM_JOB_UNTICKED =
      List.of(
          J + DedupByEventId.METRICS_NAMESPACE + "_" + DedupByEventId.EXPIRED,
          J + WriteCurated.METRICS_NAMESPACE + "_" + WriteCurated.RETRIES_COUNTER);

  /**
   * The exporter's families (Kafka's asserted by PrometheusScrapeTest, the warehouse's by
   * WarehouseSeriesTest).
   */
  static final List<String> FROM_EXPORTER =
      List.of(
          KafkaLag.LAG,
          KafkaLag.END,
          KafkaLag.COMMITTED,
          CollabExporter.UP,
          CollabExporter.SECONDS,
          WarehouseSeries.UNACCOUNTED,
          WarehouseSeries.UNWRITTEN,
          WarehouseSeries.HOURS,
          WarehouseSeries.STAGE_EVENTS,
          WarehouseSeries.NEWEST,
          WarehouseSeries.AUDIT_LOST,
          WarehouseSeries.AUDIT_LAST);

  /**
   * The freshness probe's families ({@code bin/collab-canary}), asserted served with values from
   * real canaries by CanaryProbeEndToEndTest.
   */
  static final List<String> FROM_PROBE =
      List.of(
          CollabCanary.TOTAL,
          CollabCanary.SLOW,
          CollabCanary.LATENCY,
          CollabCanary.WINDOW_CANARIES,
          CollabCanary.PENDING,
          CollabCanary.PUBLISH_ERRORS,
          CollabCanary.UP);

  /** Prometheus's own: the scrape health of each target. */
  static final List<String> PROMETHEUS = List.of("up");

  static final Path RULES = Paths.get("prometheus", "rules");

  private static final Pattern RECORD = Pattern.compile("(?m)^\\s*- record: (\\S+)\\s*$");

  /** Recording rule name to its expression, from every rule file. */
  static Map<String, String> recordingRules() throws IOException {
    Map<String, String> rules = new LinkedHashMap<>();
    for (Path file : Files.list(RULES).sorted().toArray(Path[]::new)) {
      String yaml = Files.readString(file).replaceAll("(?m)^\\s*#.*\\n", "");
      Matcher m = RECORD.matcher(yaml);
      while (m.find()) {
        int exprAt = yaml.indexOf("expr:", m.end());
        int next = yaml.indexOf("\n      - ", exprAt);
        int nextGroup = yaml.indexOf("\n  - name:", exprAt);
        int end = next < 0 ? yaml.length() : next;
        if (nextGroup >= 0 && nextGroup < end) {
          end = nextGroup;
        }
        String expr = yaml.substring(exprAt + "expr:".length(), end);
        expr = expr.replaceAll("(?m)^\\s*labels:[\\s\\S]*$", "").replace("|", " ");
        rules.merge(m.group(1), expr, (a, b) -> a + " or " + b);
      }
    }
    return rules;
  }

  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "inf",
          "nan");

  /** The metric names a PromQL expression selects (functions, labels, strings, ranges removed). */
  static Set<String> metricNames(String promql) {
    String s = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*\\}", " ");
    s = s.replaceAll("\\[[^\\]]*\\]", " ");
    s = s.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(s);
    while (m.find()) {
      String token = m.group(1);
      if (m.group(2) != null || KEYWORDS.contains(token.toLowerCase())) {
        continue; // a function call or an operator keyword
      }
      int before = m.start() - 1;
      if (before >= 0 && (Character.isDigit(s.charAt(before)) || s.charAt(before) == '.')) {
        continue; // a unit or exponent of a number literal
      }
      names.add(token);
    }
    return names;
  }

  /** Everything a query may name: exported series and recording rules. */
  static Set<String> all() throws IOException {
    Set<String> all = new TreeSet<>();
    all.addAll(FROM_JOB);
    all.addAll(FROM_JOB_UNTICKED);
    all.addAll(FROM_EXPORTER);
    all.addAll(FROM_PROBE);
    all.addAll(PROMETHEUS);
    all.addAll(recordingRules().keySet());
    return all;
  }

  /** Names of {@code promql} that are not exported (nor a recording rule). */
  static List<String> unknownNames(String promql) throws IOException {
    Set<String> all = all();
    List<String> unknown = new ArrayList<>();
    for (String name : metricNames(promql)) {
      if (!all.contains(name)) {
        unknown.add(name);
      }
    }
    return unknown;
  }

  private ExportedSeries() {}
}

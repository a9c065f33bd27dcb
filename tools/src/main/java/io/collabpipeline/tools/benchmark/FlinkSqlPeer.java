package io.collabpipeline.tools.benchmark;

import io.collabpipeline.pipelines.launch.LocalClusterConf;
import io.collabpipeline.pipelines.launch.SharedEmbeddedCluster;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/**
 * What a Flink team would write instead of our graph, as the benchmark's peer: parse, dedup by
 * event id, and per-workspace minute/hour/day metrics as one Flink SQL job (Table API, batch
 * runtime mode) on an embedded Flink.
 *
 * <p>The source is a filesystem table in the JSON format that skips what it cannot parse; {@code
 * occurred_at} (RFC 3339) becomes a {@code TIMESTAMP_LTZ(3)} event-time column. Duplicates are
 * dropped with {@code ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ts) = 1}; then, for each
 * tumbling window ({@code TUMBLE} TVF) and workspace: active editors ({@code COUNT(DISTINCT actor)}
 * of editor events), task updates ({@code task.updated}) and notifications ({@code
 * notification.sent}). It does no validation, PII minimization, raw store, quarantine or lateness
 * handling: it is the lower bound of the work, not the same work.
 */
public final class FlinkSqlPeer {
  /** The event types whose actor counts as an active editor, as in the graph's metrics. */
  public static final List<String> EDITOR_EVENT_TYPES =
      List.of(
          "task.created",
          "task.updated",
          "task.completed",
          "comment.added",
          "comment.edited",
          "project.member_added",
          "project.member_removed");

  /** Granularity name and the SQL interval of its tumbling window. */
  public static final List<String[]> WINDOWS =
      List.of(
          new String[] {"minute", "INTERVAL '1' MINUTE"},
          new String[] {"hour", "INTERVAL '1' HOUR"},
          new String[] {"day", "INTERVAL '1' DAY"});

  private final StreamTableEnvironment tables;
  private final Optional<SharedEmbeddedCluster.Lease> shared;

  private FlinkSqlPeer(
      StreamTableEnvironment tables, Optional<SharedEmbeddedCluster.Lease> shared) {
    this.tables = tables;
    this.shared = shared;
  }

  /**
   * The job over every file under {@code inputDir} (newline-delimited JSON), with {@code
   * parallelism}: on this JVM's {@link SharedEmbeddedCluster} where one is started and free, as the
   * graph's batch jobs are, held until the job has run; otherwise on a new embedded Flink with
   * {@link #clusterConfiguration(int)}, the settings of the shared cluster too. Run it once.
   */
  public static FlinkSqlPeer over(Path inputDir, int parallelism) {
    Optional<SharedEmbeddedCluster.Lease> shared = SharedEmbeddedCluster.lease(parallelism);
    StreamExecutionEnvironment env;
    if (shared.isPresent()) {
      shared.get().asContext();
      try {
        env = StreamExecutionEnvironment.getExecutionEnvironment();
      } finally {
        shared.get().clearContext();
      }
      env.setParallelism(parallelism);
    } else {
      env =
          StreamExecutionEnvironment.createLocalEnvironment(
              parallelism, clusterConfiguration(parallelism));
    }
    try {
      env.setRuntimeMode(RuntimeExecutionMode.BATCH);
      StreamTableEnvironment tables =
          StreamTableEnvironment.create(env, EnvironmentSettings.inBatchMode());
      // Day windows start at midnight UTC, as the graph's do.
      tables.getConfig().set("table.local-time-zone", "UTC");
      tables.createTemporarySystemFunction("PARSE_RFC3339", ParseRfc3339.class);
      tables.executeSql(
          "CREATE TEMPORARY TABLE events (\n"
              + "  event_id STRING,\n"
              + "  event_type STRING,\n"
              + "  occurred_at STRING,\n"
              + "  workspace_gid STRING,\n"
              + "  actor ROW<user_gid STRING>,\n"
              + "  ts AS PARSE_RFC3339(occurred_at),\n"
              + "  WATERMARK FOR ts AS ts\n"
              + ") WITH (\n"
              + "  'connector' = 'filesystem',\n"
              + "  'path' = '"
              + inputDir.toAbsolutePath().toUri()
              + "',\n"
              + "  'format' = 'json',\n"
              + "  'json.ignore-parse-errors' = 'true',\n"
              + "  'json.fail-on-missing-field' = 'false'\n"
              + ")");
      tables.executeSql(
          "CREATE TEMPORARY VIEW unique_events AS\n"
              + "SELECT event_id, event_type, workspace_gid, actor_gid, ts FROM (\n"
              + "  SELECT event_id, event_type, workspace_gid, actor.user_gid AS actor_gid, ts,\n"
              + "    ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ts) AS rn\n"
              + "  FROM events\n"
              + "  WHERE event_id IS NOT NULL AND workspace_gid IS NOT NULL AND ts IS NOT NULL)\n"
              + "WHERE rn = 1");
      return new FlinkSqlPeer(tables, shared);
    } catch (RuntimeException e) {
      // A peer that could not be set up runs nothing: the shared cluster is free for the next job.
      shared.ifPresent(SharedEmbeddedCluster.Lease::close);
      throw e;
    }
  }

  /**
   * The peer's embedded cluster: the settings the graph's embedded cluster gets from the launcher
   * ({@link LocalClusterConf#forEmbeddedCluster}: its managed memory, no batch shuffle compression,
   * no slot requirement check delay), taken from there so that both run on the same embedded Flink.
   * Until 2026-12-06 the peer set the last two itself and ran with Flink's 128 MB of managed memory
   * for a local environment, against the graph's eighth of the heap.
   *
   * <p>And {@code parallelism} slots. Flink sizes the cluster it starts for a job from the job
   * graph's largest parallelism unless told ({@code PerJobMiniClusterFactory}), which for this SQL
   * batch job gave one slot: until 2026-12-07 the two subtasks of each of its stages ran one after
   * the other (Flink's task log over a million events: the second source subtask started when the
   * first had read everything, and each sort ran alone), at about 1.6 cores where it can use 2.
   */
  static Configuration clusterConfiguration(int parallelism) {
    Configuration conf = Configuration.fromMap(LocalClusterConf.forEmbeddedCluster());
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, parallelism);
    return conf;
  }

  /**
   * The metric rows: granularity, window_start, workspace_gid, active_editors, task_updates,
   * notifications; one row per window and workspace with at least one event.
   */
  public Table metrics() {
    StringBuilder editors = new StringBuilder();
    for (String type : EDITOR_EVENT_TYPES) {
      editors.append(editors.length() == 0 ? "" : ", ").append('\'').append(type).append('\'');
    }
    List<String> perWindow = new ArrayList<>();
    for (String[] w : WINDOWS) {
      perWindow.add(
          String.format(
              Locale.ROOT,
              "SELECT '%s' AS granularity, window_start, workspace_gid,\n"
                  + "  COUNT(DISTINCT actor_gid) FILTER (WHERE event_type IN (%s)) AS active_editors,\n"
                  + "  COUNT(*) FILTER (WHERE event_type = 'task.updated') AS task_updates,\n"
                  + "  COUNT(*) FILTER (WHERE event_type = 'notification.sent') AS notifications\n"
                  + "FROM TABLE(TUMBLE(TABLE unique_events, DESCRIPTOR(ts), %s))\n"
                  + "GROUP BY window_start, window_end, workspace_gid",
              w[0],
              editors,
              w[1]));
    }
    return tables.sqlQuery(String.join("\nUNION ALL\n", perWindow));
  }

  /**
   * Runs the job to the end, its rows going to a blackhole sink (as a benchmark should: no result
   * collection in the timing); returns the seconds it took, planning included.
   */
  public double runToBlackhole() throws Exception {
    long started = System.nanoTime();
    try {
      tables.executeSql(
          "CREATE TEMPORARY TABLE metric_sink (\n"
              + "  granularity STRING, window_start TIMESTAMP(3), workspace_gid STRING,\n"
              + "  active_editors BIGINT, task_updates BIGINT, notifications BIGINT\n"
              + ") WITH ('connector' = 'blackhole')");
      metrics().executeInsert("metric_sink").await();
    } finally {
      shared.ifPresent(SharedEmbeddedCluster.Lease::close);
    }
    return (System.nanoTime() - started) / 1e9;
  }

  /** Runs the job to the end and returns its rows (for tests: small inputs only). */
  public List<Row> collect() throws Exception {
    List<Row> rows = new ArrayList<>();
    try (CloseableIterator<Row> it = metrics().execute().collect()) {
      it.forEachRemaining(rows::add);
    } finally {
      shared.ifPresent(SharedEmbeddedCluster.Lease::close);
    }
    return rows;
  }

  /**
   * {@code occurred_at} as an instant: RFC 3339 with an offset, else null (the row is then
   * dropped).
   */
  public static final class ParseRfc3339 extends ScalarFunction {
    private static final long serialVersionUID = 1L;

    public @DataTypeHint("TIMESTAMP_LTZ(3)") Instant eval(String value) {
      if (value == null) {
        return null;
      }
      try {
        return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }
}

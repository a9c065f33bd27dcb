package io.collabpipeline.monitoring.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Properties;

/**
 * {@code bin/collab-report}: one self-contained HTML page from the warehouse (no network, no
 * external script): the curated metrics per hour, completeness per hour and stage (newest
 * generation per hour), the quarantine's reasons (counts only, from the local quarantine store;
 * never a payload), the last lost-event audit, and the freshness section (the canary probe's data
 * when it exists). The data is embedded as JSON; a small inline script draws the charts as SVG.
 */
public final class CollabReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CollabReport() {}

  /** Builds the report's data from the warehouse (and the local quarantine store, if any). */
  static ObjectNode data(String warehouseUrl, String quarantineStore) throws SQLException {
    ObjectNode data = JSON.createObjectNode();
    data.put("generated_at", Instant.now().toString());
    data.put("warehouse", warehouseUrl.replaceAll("(?i)(password|user)=[^&;]*", "$1=…"));
    Properties props = new Properties();
    if (warehouseUrl.startsWith("jdbc:duckdb:")) {
      props.setProperty("duckdb.read_only", "true");
    }
    try (Connection c = DriverManager.getConnection(warehouseUrl, props)) {
      data.set(
          "metrics",
          series(
              c,
              "SELECT CAST(t.window_start AS VARCHAR) AS x, sum(t.task_updates) AS task_updates,"
                  + " sum(t.tasks_completed) AS tasks_completed,"
                  + " (SELECT sum(a.active_editors) FROM active_editors a WHERE a.granularity ="
                  + " 'hour' AND a.window_start = t.window_start) AS active_editors,"
                  + " (SELECT sum(n.notifications) FROM notification_fanout n WHERE n.granularity ="
                  + " 'hour' AND n.window_start = t.window_start) AS notifications"
                  + " FROM task_update_velocity t WHERE t.granularity = 'hour'"
                  + " GROUP BY t.window_start ORDER BY t.window_start"));
      data.set(
          "completeness",
          series(
              c,
              "SELECT CAST(c.window_start AS VARCHAR) AS x,"
                  + " sum(CASE WHEN stage = 'received' THEN events ELSE 0 END) AS received,"
                  + " sum(CASE WHEN stage = 'quarantined' THEN events ELSE 0 END) AS quarantined,"
                  + " sum(CASE WHEN stage = 'duplicate' THEN events ELSE 0 END) AS duplicate,"
                  + " sum(CASE WHEN stage = 'accepted' THEN events ELSE 0 END) AS accepted,"
                  + " sum(CASE WHEN stage = 'raw_written' THEN events ELSE 0 END) AS raw_written,"
                  + " sum(CASE WHEN stage = 'late' THEN events ELSE 0 END) AS late"
                  + " FROM pipeline_completeness c JOIN (SELECT window_start, max(generation) AS g"
                  + " FROM pipeline_completeness WHERE granularity = 'hour' GROUP BY window_start) n"
                  + " ON c.window_start = n.window_start AND c.generation = n.g"
                  + " WHERE c.granularity = 'hour' GROUP BY c.window_start ORDER BY c.window_start"));
      if (hasTable(c, "pipeline_freshness")) {
        // The canary probe's latencies (bin/collab-canary): P50/P95 per hour of publication, in
        // seconds, over the canaries that became queryable (the slow and lost ones are in its
        // series); the same percentile SQL on DuckDB and PostgreSQL.
        data.set(
            "freshness",
            series(
                c,
                "SELECT CAST(date_trunc('hour', published_at) AS VARCHAR) AS x,"
                    + " round(CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) / 1000.0"
                    + " AS NUMERIC), 3) AS p50,"
                    + " round(CAST(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) / 1000.0"
                    + " AS NUMERIC), 3) AS p95,"
                    + " count(*) AS canaries FROM pipeline_freshness WHERE latency_ms IS NOT NULL"
                    + " GROUP BY 1 ORDER BY 1"));
      }
      if (hasTable(c, "pipeline_audit")) {
        data.set(
            "audit",
            series(
                c,
                "SELECT source_kind || ':' || source_name || '/' || CAST(source_partition AS"
                    + " VARCHAR) || ' ' || CAST(hour_start AS VARCHAR) AS x, raw_written AS raw,"
                    + " quarantined, duplicate, lost, lost_offsets FROM pipeline_audit"
                    + " WHERE source_kind <> '*' AND audit_id = (SELECT max(audit_id) FROM"
                    + " pipeline_audit) ORDER BY 1"));
      }
    }
    if (quarantineStore != null
        && !quarantineStore.startsWith("s3://")
        && hasJsonl(quarantineStore)) {
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
        data.set(
            "quarantine",
            series(
                c,
                "SELECT reason AS x, count(*) AS records FROM read_json('"
                    + quarantineStore.replace("'", "''")
                    + "/**/*.jsonl', columns = {reason: 'VARCHAR'}, format = 'newline_delimited')"
                    + " GROUP BY reason ORDER BY records DESC"));
      }
    }
    return data;
  }

  private static boolean hasJsonl(String dir) {
    try (var files = Files.walk(Paths.get(dir))) {
      return files.anyMatch(p -> p.toString().endsWith(".jsonl"));
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean hasTable(Connection c, String table) throws SQLException {
    try (ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
      return rs.next();
    }
  }

  /** Rows as an array of objects, column label to value (numbers as numbers). */
  private static ArrayNode series(Connection c, String sql) throws SQLException {
    ArrayNode rows = JSON.createArrayNode();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        ObjectNode row = rows.addObject();
        for (int i = 1; i <= n; i++) {
          String label = rs.getMetaData().getColumnLabel(i).toLowerCase(java.util.Locale.ROOT);
          Object v = rs.getObject(i);
          if (v == null) {
            row.putNull(label);
          } else if (v instanceof Number) {
            row.put(label, ((Number) v).doubleValue());
          } else {
            row.put(label, v.toString());
          }
        }
      }
    }
    return rows;
  }

  /** The page: the template with the data embedded (closing tags escaped inside the JSON). */
  static String render(ObjectNode data) throws IOException {
    String template;
    try (InputStream in = CollabReport.class.getResourceAsStream("report.html")) {
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String json = JSON.writeValueAsString(data).replace("</", "<\\/");
    return template.replace("/*DATA*/{}", json);
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    CollabPipelineOptions o;
    try {
      o = CommandLine.parseOptions(args);
    } catch (UsageException | IllegalArgumentException e) {
      err.println("collab-report: " + CommandLine.firstLine(e.getMessage()));
      return 2;
    }
    String dataDir = Paths.get(o.getDataDir()).toAbsolutePath().toString();
    String warehouse =
        o.getWarehouseUrl() != null
            ? o.getWarehouseUrl()
            : "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    String quarantine =
        o.getQuarantineStore() != null ? o.getQuarantineStore() : dataDir + "/quarantine";
    Path page = Paths.get(dataDir, "report.html");
    try {
      Files.writeString(page, render(data(warehouse, quarantine)));
    } catch (Exception e) {
      err.println("collab-report: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      return 1;
    }
    out.println("collab-report: wrote " + page + " (open it in a browser; it needs no network)");
    return 0;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }
}

package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The exporter's completeness series on a DuckDB warehouse: per closed hour only the newest
 * generation's rows count, an identity that does not hold is exported as unaccounted events,
 * accepted events not written raw as unwritten, and an hour still open is not judged.
 */
public class WarehouseSeriesTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void closedHoursOfTheNewestGenerationAreChecked() throws Exception {
    String url = "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("w.duckdb");
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE pipeline_completeness (window_start TIMESTAMP, granularity VARCHAR,"
              + " stage VARCHAR, events BIGINT, generation BIGINT, pane_index BIGINT)");
      // 10:00, generation 1 (older, wrong) and 2 (newest: 100 = 5 + 3 + 92, 90 written raw).
      row(st, "2026-12-01 10:00:00", "received", 100, 1);
      row(st, "2026-12-01 10:00:00", "accepted", 50, 1);
      row(st, "2026-12-01 10:00:00", "received", 100, 2);
      row(st, "2026-12-01 10:00:00", "quarantined", 5, 2);
      row(st, "2026-12-01 10:00:00", "duplicate", 3, 2);
      row(st, "2026-12-01 10:00:00", "accepted", 92, 2);
      row(st, "2026-12-01 10:00:00", "raw_written", 90, 2);
      // 11:00: 40 received, 38 sorted: 2 unaccounted.
      row(st, "2026-12-01 11:00:00", "received", 40, 2);
      row(st, "2026-12-01 11:00:00", "accepted", 38, 2);
      row(st, "2026-12-01 11:00:00", "raw_written", 38, 2);
      // 12:00 is still open at 12:50 with a 20-minute grace: not judged.
      row(st, "2026-12-01 12:00:00", "received", 7, 2);
      // Two audits: the newer one (id 1796130000000) found 33 lost offsets.
      st.execute("CREATE TABLE pipeline_audit (audit_id BIGINT, source_kind VARCHAR, lost BIGINT)");
      st.execute(
          "INSERT INTO pipeline_audit VALUES (1796120000000, '*', 0), (1796130000000, '*', 33),"
              + " (1796130000000, 'kafka', 33)");
    }
    PromText out = new PromText();
    new WarehouseSeries(
            io.collabpipeline.pipelines.warehouse.WarehouseConnections.of(
                url,
                org.apache.beam.sdk.options.PipelineOptionsFactory.as(
                    io.collabpipeline.pipelines.options.SnowflakeOptions.class),
                false),
            Duration.ofHours(26),
            Duration.ofMinutes(20))
        .collect(out, Instant.parse("2026-12-01T13:10:00Z"));
    String text = out.toString();
    assertThat(text, containsString(WarehouseSeries.UNACCOUNTED + " 2\n"));
    assertThat(text, containsString(WarehouseSeries.UNWRITTEN + " 2\n"));
    assertThat(text, containsString(WarehouseSeries.HOURS + " 2\n"));
    assertThat(text, containsString(WarehouseSeries.STAGE_EVENTS + "{stage=\"received\"} 140\n"));
    assertThat(text, containsString(WarehouseSeries.NEWEST + " 1796126400\n"));
    assertThat(text, containsString(WarehouseSeries.AUDIT_LOST + " 33\n"));
    assertThat(text, containsString(WarehouseSeries.AUDIT_LAST + " 1796130000\n"));

    PromText early = new PromText();
    new WarehouseSeries(
            io.collabpipeline.pipelines.warehouse.WarehouseConnections.of(
                url,
                org.apache.beam.sdk.options.PipelineOptionsFactory.as(
                    io.collabpipeline.pipelines.options.SnowflakeOptions.class),
                false),
            Duration.ofHours(26),
            Duration.ofMinutes(20))
        .collect(early, Instant.parse("2026-12-01T12:10:00Z"));
    assertThat(early.toString(), containsString(WarehouseSeries.UNACCOUNTED + " 0\n"));
    assertThat(early.toString(), not(containsString("stage=\"received\"} 140")));
  }

  private static void row(Statement st, String hour, String stage, long events, long generation)
      throws Exception {
    st.execute(
        "INSERT INTO pipeline_completeness VALUES (TIMESTAMP '"
            + hour
            + "', 'hour', '"
            + stage
            + "', "
            + events
            + ", "
            + generation
            + ", "
            + events
            + ")");
  }
}

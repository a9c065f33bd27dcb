package io.collabpipeline.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The Grafana dashboard (monitoring/grafana/collab-pipeline.json) is provisioning-ready JSON, and
 * every query of every panel names only series the pipeline exports: the job's and Flink's series
 * seen in a real Prometheus by {@link PrometheusScrapeTest}, the exporter's, or a recording rule
 * whose own expression names only those.
 */
public class DashboardTest {
  @Test
  public void everyQueryNamesAnExportedSeries() throws Exception {
    JsonNode dashboard =
        new ObjectMapper().readTree(Paths.get("grafana", "collab-pipeline.json").toFile());
    assertThat(dashboard.path("uid").asText(), is("collab-pipeline"));
    List<String> problems = new ArrayList<>();
    int queries = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        queries++;
        if (ExportedSeries.metricNames(expr).isEmpty()) {
          problems.add(panel.path("title").asText() + ": names no series: " + expr);
        }
        for (String unknown : ExportedSeries.unknownNames(expr)) {
          problems.add(panel.path("title").asText() + ": " + unknown + " is not exported");
        }
      }
    }
    assertThat(queries, greaterThanOrEqualTo(14));
    assertThat(problems, is(empty()));
  }

  @Test
  public void everyRecordingRuleNamesOnlyExportedSeries() throws Exception {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> rule : ExportedSeries.recordingRules().entrySet()) {
      for (String unknown : ExportedSeries.unknownNames(rule.getValue())) {
        problems.add(rule.getKey() + ": " + unknown + " is not exported");
      }
    }
    assertThat(problems, is(empty()));
  }

  @Test
  public void theFreshnessSloRulesAndTheDashboardUseTheProbesSeries() throws Exception {
    String freshness = ExportedSeries.recordingRules().get("collab:freshness_slow:ratio_rate1h");
    assertThat(
        ExportedSeries.metricNames(freshness),
        containsInAnyOrder(CollabCanary.TOTAL, CollabCanary.SLOW));
    String dashboard = Files.readString(Paths.get("grafana", "collab-pipeline.json"));
    assertThat(dashboard.contains(CollabCanary.LATENCY + "{quantile=\\\"0.95\\\"}"), is(true));
  }

  @Test
  public void theNameParserSeesSelectorsNotFunctionsLabelsOrRanges() {
    assertThat(
        ExportedSeries.metricNames(
            "sum by (topic) (rate(collab_kafka_log_end_offset{topic=\"a\"}[5m])) / on (topic)"
                + " group_left sum(x:y:z) > bool 14.4 * 0.001 or vector(0)"),
        containsInAnyOrder("collab_kafka_log_end_offset", "x:y:z"));
  }
}

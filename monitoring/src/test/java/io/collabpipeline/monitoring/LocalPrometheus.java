package io.collabpipeline.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) for tests: loopback only, a free
 * port, its own TSDB directory, scraping the given targets every second and evaluating the given
 * rule files every second. {@link #query} runs an instant query through the HTTP API.
 */
final class LocalPrometheus implements AutoCloseable {
  static final String BINARY = "/usr/bin/prometheus";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private LocalPrometheus(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts Prometheus scraping {@code targets} (job name to {@code host:port}) and loading {@code
   * ruleFiles}; returns once it answers ready.
   */
  static LocalPrometheus start(Path dir, Map<String, String> targets, List<Path> ruleFiles)
      throws Exception {
    StringBuilder yaml = new StringBuilder();
    yaml.append("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    yaml.append("rule_files:\n");
    for (Path rules : ruleFiles) {
      yaml.append("  - '").append(rules.toAbsolutePath()).append("'\n");
    }
    yaml.append("scrape_configs:\n");
    for (Map.Entry<String, String> t : new TreeMap<>(targets).entrySet()) {
      yaml.append("  - job_name: '").append(t.getKey()).append("'\n");
      yaml.append("    static_configs:\n      - targets: ['").append(t.getValue()).append("']\n");
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, yaml.toString());
    int port = freePort();
    Process process =
        new ProcessBuilder(
                BINARY,
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    LocalPrometheus prometheus = new LocalPrometheus(process, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
      }
      try {
        if (prometheus.get("/-/ready").statusCode() == 200) {
          return prometheus;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    prometheus.close();
    throw new IllegalStateException("prometheus not ready within 30 s");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The result vector of an instant query: one entry per series, its labels and value. */
  List<Sample> query(String promql) throws Exception {
    HttpResponse<String> r =
        get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    JsonNode body = JSON.readTree(r.body());
    if (!"success".equals(body.path("status").asText())) {
      throw new IllegalStateException(promql + ": " + r.body());
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode s : body.path("data").path("result")) {
      Map<String, String> labels = new TreeMap<>();
      s.path("metric")
          .fields()
          .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      samples.add(new Sample(labels, Double.parseDouble(s.path("value").get(1).asText())));
    }
    return samples;
  }

  /** The single value of a query that yields one series, or NaN when it yields none. */
  double value(String promql) throws Exception {
    List<Sample> samples = query(promql);
    if (samples.size() > 1) {
      throw new IllegalStateException(promql + " yields " + samples.size() + " series");
    }
    return samples.isEmpty() ? Double.NaN : samples.get(0).value;
  }

  /** Every metric name Prometheus holds. */
  List<String> names() throws Exception {
    JsonNode body = JSON.readTree(get("/api/v1/label/__name__/values").body());
    List<String> names = new ArrayList<>();
    body.path("data").forEach(n -> names.add(n.asText()));
    return names;
  }

  /** The state of every alerting rule's alerts, by alert name ("firing", "pending"). */
  Map<String, String> alerts() throws Exception {
    JsonNode body = JSON.readTree(get("/api/v1/alerts").body());
    Map<String, String> alerts = new TreeMap<>();
    body.path("data")
        .path("alerts")
        .forEach(
            a -> alerts.put(a.path("labels").path("alertname").asText(), a.path("state").asText()));
    return alerts;
  }

  static final class Sample {
    final Map<String, String> labels;
    final double value;

    Sample(Map<String, String> labels, double value) {
      this.labels = labels;
      this.value = value;
    }

    @Override
    public String toString() {
      return labels + "=" + value;
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}

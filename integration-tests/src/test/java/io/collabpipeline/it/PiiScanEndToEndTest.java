package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.collabpipeline.collector.CollabCollector;
import io.collabpipeline.collector.CollectorServer;
import io.collabpipeline.collector.EdgeProducer;
import io.collabpipeline.it.StreamRuns.Child;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.privacy.PiiScanner;
import io.collabpipeline.tools.privacy.PiiScanner.Finding;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Issue 10, point 5: no personal data anywhere but the quarantine. Events with planted personal
 * values in every field that can hold them (actor email and name, context IP, user agent and
 * session, comment texts, task names, a field the schema does not know, and raw user ids in every
 * identifier field) go through the real collector (its own JVM, over HTTP) into an in-process Kafka
 * broker; a second topic stands for older producers that write full events to Kafka themselves. The
 * pipeline streams both topics as its own JVM on embedded Flink with the dev profile (exactly-once
 * checkpoints every 2 s, the Prometheus reporter on a free port) until every accepted event is in
 * the raw store, the unparseable records are in its quarantine and a checkpoint was taken after
 * that. Then {@link PiiScanner} scans the raw topic, the raw store and every other file of the data
 * directory, the DuckDB warehouse, the checkpoints, the logs of both JVMs and the scraped metrics
 * page, and finds nothing, by value or by shape; it finds the planted values of the bad records in
 * the collector's quarantine topic and the pipeline's quarantine store (so it reads this run's
 * outputs), and an event id in the checkpoints (so checkpoint state is searchable as bytes).
 */
@RunWith(JUnit4.class)
public class PiiScanEndToEndTest {
  private static final String RAW_TOPIC = EdgeProducer.DEFAULT_TOPIC;
  private static final String QUARANTINE_TOPIC = EdgeProducer.DEFAULT_QUARANTINE_TOPIC;
  private static final String DIRECT_TOPIC = "direct-producers";
  private static final String APP_KEY = "pii-scan-test-app-key-0123456789";
  private static final String CANARY_EVENT_ID = "piiscan-canary-evt-0001";
  private static final String[] NAMES = {
    "Zoë Quillfeather", "Bartholomew Nightingale-Ashby", "Ingrid Sørvåg-Tallis", "Octavia Wrenfield"
  };

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Every planted value, by kind; the good events' and the bad records' apart. */
  private final Map<String, String> goodValues = new LinkedHashMap<>();

  private final Map<String, String> collectorBadValues = new LinkedHashMap<>();
  private final Map<String, String> directBadValues = new LinkedHashMap<>();
  private final Set<String> acceptedIds = new TreeSet<>();

  @Test
  public void noPersonalDataOutsideTheQuarantineAfterARunThroughTheCollector() throws Exception {
    long started = System.nanoTime();
    Path logs = tmp.newFolder("logs").toPath();
    Path data = tmp.newFolder("data").toPath();
    Path flink = data.resolve("flink");
    int reporterPort = freePort();
    Path conf = tmp.newFolder("flink-conf").toPath();
    Files.writeString(conf.resolve("config.yaml"), devProfile(reporterPort, flink));
    Instant occurred = Instant.now().minus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);

    List<String> collectorLines = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      collectorLines.add(goodEvent("piiscan-web-" + i, i, occurred));
    }
    collectorLines.add(
        "{\"event_id\":\"piiscan-web-bad-1\",\"event_type\":\"comment.added\",\"actor\":{\"email\":\""
            + plant(collectorBadValues, "email", "broken.json.sender@example.net")
            + "\",\"name\":\""
            + plant(collectorBadValues, "name", "Cornelius Brokenbrace")
            + "\"},\"context\":{\"ip\":\""
            + plant(collectorBadValues, "ip", "192.0.2.201")
            + "\""); // cut short: not JSON
    collectorLines.add(
        "{\"event_id\":\"piiscan-web-bad-2\",\"event_type\":\"task.exploded\",\"schema_version\":1,"
            + "\"occurred_at\":\""
            + occurred
            + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\""
            + plant(collectorBadValues, "user_gid", "90210417730055519901")
            + "\",\"email\":\""
            + plant(collectorBadValues, "email", "unknown.type.sender@example.net")
            + "\"},\"source\":{\"platform\":\"web\"},\"resource\":{\"type\":\"task\",\"gid\":\"5\"},"
            + "\"payload\":{},\"context\":{\"user_agent\":\""
            + plant(collectorBadValues, "user_agent", "Mozilla/5.0 (pii-scan bad) Gecko/20100101")
            + "\"}}");
    List<String> directLines = new ArrayList<>();
    for (int i = 12; i < 16; i++) {
      directLines.add(goodEvent("piiscan-direct-" + i, i, occurred));
    }
    directLines.add(
        "{\"event_id\":\"piiscan-direct-bad-1\",\"actor\":{\"email\":\""
            + plant(directBadValues, "email", "truncated.direct@example.net")
            + "\",\"name\":\""
            + plant(directBadValues, "name", "Wilhelmina Cutshort")
            + "\"}"); // cut short: not JSON
    directLines.add(
        "{\"event_id\":\"piiscan-direct-bad-2\",\"occurred_at\":\""
            + occurred
            + "\",\"actor\":{\"user_gid\":\""
            + plant(directBadValues, "user_gid", "90210417730055519902")
            + "\"},\"payload\":{\"text\":\""
            + plant(directBadValues, "free_text", "no event type but a secret about Wilhelmina")
            + "\"},\"context\":{\"ip\":\""
            + plant(directBadValues, "ip", "203.0.113.202")
            + "\"}}");

    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(RAW_TOPIC, 2);
      kafka.createTopic(DIRECT_TOPIC, 1);
      Path keyFile = tmp.newFile("app.key").toPath();
      Files.writeString(keyFile, APP_KEY);
      Child collector = Child.start(collectorCommand(kafka, keyFile), logs.resolve("collector"));
      Child job = null;
      String metrics;
      try {
        Matcher port =
            Pattern.compile("listening on http://[^:]+:(\\d+)/")
                .matcher(collector.awaitOut("collab-collector: listening on", 60_000));
        assertThat(port.find(), equalTo(true));
        String answer = post(Integer.parseInt(port.group(1)), collectorLines);
        assertThat(answer, answer, containsString("\"accepted\":12,\"quarantined\":2"));
        publishDirect(kafka, directLines);

        System.out.printf(
            "PiiScanEndToEndTest: job starts at %.1f s%n", (System.nanoTime() - started) / 1e9);
        job = Child.start(pipelineCommand(kafka, conf, data), logs.resolve("job"));
        Child running = job;
        StreamRuns.await(
            "every accepted event in the raw store and both bad records in the quarantine",
            150_000,
            job,
            () -> rawIds(data).equals(acceptedIds) && quarantined(data) == 2);
        System.out.printf(
            "PiiScanEndToEndTest: outputs complete at %.1f s%n",
            (System.nanoTime() - started) / 1e9);
        long after = StreamRuns.latestCheckpoint(flink.resolve("checkpoints"));
        StreamRuns.await(
            "a checkpoint taken after the outputs were complete",
            30_000,
            running,
            () -> StreamRuns.latestCheckpoint(flink.resolve("checkpoints")) > after + 1);
        metrics = scrape(reporterPort);
        assertThat(
            "the metrics page is the job's", metrics, containsString("completeness_received"));
      } finally {
        if (job != null) {
          job.stop();
          job.keepLogs("PiiScanEndToEndTest", "job");
        }
        collector.stop();
        collector.keepLogs("PiiScanEndToEndTest", "collector");
      }

      System.out.printf(
          "PiiScanEndToEndTest: job stopped at %.1f s%n", (System.nanoTime() - started) / 1e9);
      PiiScanner scanner = scanner();
      Map<String, List<Finding>> outside = new LinkedHashMap<>();
      outside.put(
          "raw topic " + RAW_TOPIC,
          scanner.scanTopic(kafka.clientConfig(), RAW_TOPIC, Duration.ofSeconds(30)));
      List<Finding> dataDir = new ArrayList<>();
      try (var children = Files.list(data)) {
        for (Path p : children.sorted().toList()) {
          if (!p.getFileName().toString().equals("quarantine")) {
            dataDir.addAll(scanner.scanDirectory(p));
          }
        }
      }
      outside.put("data directory (raw store, warehouse, checkpoints, ledgers)", dataDir);
      outside.put("logs of the collector and the job", scanner.scanDirectory(logs));
      outside.put("metrics page", scanner.scanText("metrics :" + reporterPort, metrics));
      if (outside.values().stream().anyMatch(l -> !l.isEmpty())) {
        keep(data); // to read the findings' files after the temporary folder is gone
      }
      for (Map.Entry<String, List<Finding>> e : outside.entrySet()) {
        assertThat(
            e.getKey() + ": " + e.getValue().stream().limit(20).toList(), e.getValue(), empty());
      }

      // The outputs scanned are this run's and hold what they should.
      assertThat("raw store files", countFiles(data.resolve("raw")), greaterThan(0L));
      assertThat("checkpoint files", countFiles(flink.resolve("checkpoints")), greaterThan(0L));
      assertThat("completeness rows in the warehouse", warehouseRows(data), greaterThan(0L));
      List<Finding> canary =
          PiiScanner.builder()
              .plant("event_id", CANARY_EVENT_ID)
              .build()
              .scanDirectory(flink.resolve("checkpoints"));
      assertThat(
          "an event id held in dedup state is found in the checkpoint's bytes",
          canary.stream().filter(f -> f.isOf(CANARY_EVENT_ID)).count(),
          greaterThan(0L));

      // The quarantines hold every planted value of the bad records, and nothing of the good ones.
      List<Finding> topic =
          scanner.scanTopic(kafka.clientConfig(), QUARANTINE_TOPIC, Duration.ofSeconds(30));
      assertThat(missing(topic, collectorBadValues), empty());
      assertThat(found(topic, goodValues), empty());
      List<Finding> store = scanner.scanDirectory(data.resolve("quarantine"));
      assertThat(missing(store, directBadValues), empty());
      assertThat(found(store, goodValues), empty());
    }
    System.out.printf(
        "PiiScanEndToEndTest: %d planted values, %d accepted events, %.1f s%n",
        goodValues.size() + collectorBadValues.size() + directBadValues.size(),
        acceptedIds.size(),
        (System.nanoTime() - started) / 1e9);
  }

  /** A valid event of one of six types, with planted personal values wherever they may be. */
  private String goodEvent(String eventId, int i, Instant occurred) {
    acceptedIds.add(i == 0 ? CANARY_EVENT_ID : eventId);
    String id = i == 0 ? CANARY_EVENT_ID : eventId;
    String actorGid = plant(goodValues, "user_gid", String.format("9021041773005551%04d", i));
    String otherGid = plant(goodValues, "user_gid", String.format("9021041773005552%04d", i));
    String email = plant(goodValues, "email", "pii-scan.user" + i + "@example.org");
    String name =
        plant(goodValues, "name", NAMES[i % NAMES.length] + (i < NAMES.length ? "" : " " + i));
    String ip = plant(goodValues, "ip", "198.51.100." + (20 + i));
    String agent =
        plant(
            goodValues,
            "user_agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:131.0; scan-"
                + i
                + ") Gecko/20100101 Firefox/131.0");
    String session = plant(goodValues, "session_id", "sess-piiscan-" + i + "-7f3a9c");
    String note =
        plant(goodValues, "free_text", "private note for pii-scan.note" + i + "@example.org");
    String type;
    String resource;
    String payload;
    switch (i % 6) {
      case 0, 1 -> {
        type = i % 6 == 0 ? "comment.added" : "comment.edited";
        resource = "comment";
        payload =
            "\"task_gid\":\"70"
                + i
                + "\",\"text\":\""
                + plant(
                    goodValues,
                    "free_text",
                    "hey " + NAMES[(i + 1) % NAMES.length] + ", the secret code is " + i + "-alpha")
                + "\",\"mentioned_user_gids\":[\""
                + otherGid
                + "\"]";
      }
      case 2 -> {
        type = "task.created";
        resource = "task";
        payload =
            "\"task_gid\":\"71"
                + i
                + "\",\"project_gids\":[\"300\"],\"name\":\""
                + plant(
                    goodValues,
                    "free_text",
                    "Plan the surprise for " + NAMES[(i + 2) % NAMES.length] + " #" + i)
                + "\",\"assignee_gid\":\""
                + otherGid
                + "\"";
      }
      case 3 -> {
        type = "notification.sent";
        resource = "notification";
        payload =
            "\"recipient_user_gid\":\""
                + otherGid
                + "\",\"channel\":\"email\",\"trigger_event_id\":\"piiscan-web-0\","
                + "\"trigger_event_type\":\"comment.added\"";
      }
      case 4 -> {
        type = "workspace.user_joined";
        resource = "workspace";
        payload = "\"user_gid\":\"" + otherGid + "\"";
      }
      default -> {
        type = "project.member_added";
        resource = "project";
        payload =
            "\"project_gid\":\"300\",\"member_user_gid\":\"" + otherGid + "\",\"role\":\"editor\"";
      }
    }
    return "{\"event_id\":\""
        + id
        + "\",\"event_type\":\""
        + type
        + "\",\"schema_version\":1,\"occurred_at\":\""
        + occurred.plusSeconds(i)
        + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\""
        + actorGid
        + "\",\"email\":\""
        + email
        + "\",\"name\":\""
        + name
        + "\"},\"source\":{\"platform\":\"web\",\"app_version\":\"1.2.3\"},\"resource\":{\"type\":\""
        + resource
        + "\",\"gid\":\"8"
        + i
        + "\"},\"payload\":{"
        + payload
        + ",\"note\":\""
        + note
        + "\"},\"context\":{\"ip\":\""
        + ip
        + "\",\"user_agent\":\""
        + agent
        + "\",\"session_id\":\""
        + session
        + "\"}}";
  }

  private static String plant(Map<String, String> into, String kind, String value) {
    into.put(value, kind);
    return value;
  }

  private PiiScanner scanner() {
    PiiScanner.Builder b = PiiScanner.builder();
    for (Map<String, String> m : List.of(goodValues, collectorBadValues, directBadValues)) {
      m.forEach((value, kind) -> b.plant(kind, value));
    }
    return b.build();
  }

  /** The planted values of {@code values} that {@code findings} do not have, masked. */
  private static Set<String> missing(List<Finding> findings, Map<String, String> values) {
    return values.keySet().stream()
        .filter(v -> findings.stream().noneMatch(f -> f.isOf(v)))
        .map(PiiScanner::mask)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The planted values of {@code values} that {@code findings} have, masked. */
  private static Set<String> found(List<Finding> findings, Map<String, String> values) {
    return values.keySet().stream()
        .filter(v -> findings.stream().anyMatch(f -> f.isOf(v)))
        .map(PiiScanner::mask)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private List<String> collectorCommand(LocalKafka kafka, Path keyFile) throws Exception {
    Files.createDirectories(tmp.getRoot().toPath().resolve("logs").resolve("collector"));
    return List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        "-cp",
        StreamRuns.testClasspath(),
        CollabCollector.class.getName(),
        "--bootstrapServers=" + kafka.bootstrapServers(),
        "--appKeys=test=file:" + keyFile,
        "--pseudonymKey=dev",
        "--allowDevKey=true",
        "--port=" + freePort());
  }

  private List<String> pipelineCommand(LocalKafka kafka, Path conf, Path data) throws Exception {
    Files.createDirectories(tmp.getRoot().toPath().resolve("logs").resolve("job"));
    List<String> c = StreamRuns.pipelineJvm();
    c.addAll(
        List.of(
            "--source=kafka",
            "--allowDevKey=true",
            "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
            "--kafkaTopics=" + RAW_TOPIC + "," + DIRECT_TOPIC,
            "--kafkaGroupId=pii-scan",
            "--flinkConfDir=" + conf,
            "--dataDir=" + data,
            "--earlyFiringDelay=2s",
            "--progressSeconds=5"));
    return c;
  }

  private static String post(int port, List<String> lines) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + CollectorServer.EVENTS_PATH))
                .header("Authorization", "Bearer " + APP_KEY)
                .header("Content-Type", "application/x-ndjson")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", lines) + "\n"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.body(), r.statusCode(), equalTo(200));
    return r.body();
  }

  /** What an older producer does: full events (and a few broken ones) straight into Kafka. */
  private static void publishDirect(LocalKafka kafka, List<String> lines) throws Exception {
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      for (String line : lines) {
        producer
            .send(new ProducerRecord<>(DIRECT_TOPIC, line.getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }

  private static Set<String> rawIds(Path data) {
    try {
      return new TreeSet<>(StreamRuns.rawEventIds(data).keySet());
    } catch (Exception e) {
      return Set.of(); // a file being renamed into place: read again at the next poll
    }
  }

  private static int quarantined(Path data) {
    try {
      return QuarantineIO.readRecords(data.resolve("quarantine").toString()).size();
    } catch (Exception e) {
      return -1;
    }
  }

  private static long countFiles(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  private static long warehouseRows(Path data) throws Exception {
    try (Connection c =
            DriverManager.getConnection("jdbc:duckdb:" + data.resolve("warehouse.duckdb"));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM pipeline_completeness")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode(), equalTo(200));
    return r.body();
  }

  /**
   * The dev Flink profile (runner-configs/flink/local) with its Prometheus reporter on {@code
   * port}, its checkpoints under {@code flinkDir} and taken every 2 s.
   */
  private static String devProfile(int port, Path flinkDir) throws Exception {
    String profile =
        Files.readString(Paths.get("..", "runner-configs", "flink", "local", "config.yaml"));
    String moved =
        profile
            .replaceAll(
                "(?m)^metrics\\.reporter\\.prom\\.port: .*$", "metrics.reporter.prom.port: " + port)
            .replaceAll(
                "(?m)^execution\\.checkpointing\\.interval: .*$",
                "execution.checkpointing.interval: 2 s")
            .replaceAll(
                "(?m)^execution\\.checkpointing\\.min-pause: .*$",
                "execution.checkpointing.min-pause: 500 ms")
            .replace(
                "file:///tmp/collab-pipeline/flink",
                flinkDir.toUri().toString().replaceAll("/$", ""));
    if (!moved.contains("metrics.reporter.prom.port: " + port)
        || !moved.contains("interval: 2 s")
        || !moved.contains(flinkDir.toUri().toString().replaceAll("/$", ""))) {
      throw new IllegalStateException("the dev profile no longer has the keys this test moves");
    }
    return moved;
  }

  private static void keep(Path data) throws Exception {
    Path target = Path.of("target", "PiiScanEndToEndTest", "data");
    try (var s = Files.walk(data)) {
      for (Path p : s.toList()) {
        Path to = target.resolve(data.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

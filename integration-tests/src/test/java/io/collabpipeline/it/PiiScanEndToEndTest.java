package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.collector.CollabCollector;
import io.collabpipeline.collector.CollectorServer;
import io.collabpipeline.collector.EdgeProducer;
import io.collabpipeline.it.StreamRuns.Child;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.tools.devstack.LocalKafka;
import io.collabpipeline.tools.erasure.CollabErasure;
import io.collabpipeline.tools.privacy.PiiScanner;
import io.collabpipeline.tools.privacy.PiiScanner.Finding;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKey;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
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
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
 *
 * <p>Issue 10, points 4 and 5: the same run proves an erasure. Writers pseudonymize with per-user
 * secrets (a directory {@code --userKeyStore} shared by the collector and the job); one user has
 * activity in every user-level measure, a record in the quarantine, and files a {@code
 * user.erasure_requested} event through the collector. dbt builds the user-level models (the user
 * is there), then {@code collab-erasure} runs with its clock at the request + 72 hours, a raw
 * replay recomputes the day, and dbt builds again. At +72 h the user's id, global-key index and
 * email are in no output (raw topic, raw store, warehouse with the dbt models, quarantine,
 * checkpoints, logs, metrics); the pseudonym the history holds is in no warehouse table but the
 * erasure ledger and in no quarantine record; and nothing links it to the id any more: the key is a
 * tombstone, no remaining secret hashes the id to it, and the writers map the id to {@link
 * Pseudonymizer#ERASED}.
 */
@RunWith(JUnit4.class)
public class PiiScanEndToEndTest {
  private static final String RAW_TOPIC = EdgeProducer.DEFAULT_TOPIC;
  private static final String QUARANTINE_TOPIC = EdgeProducer.DEFAULT_QUARANTINE_TOPIC;
  private static final String DIRECT_TOPIC = "direct-producers";
  private static final String APP_KEY = "pii-scan-test-app-key-0123456789";
  private static final String CANARY_EVENT_ID = "piiscan-canary-evt-0001";
  private static final String TRIGGER_EVENT_ID = "piiscan-web-0";
  private static final String[] NAMES = {
    "Zoë Quillfeather", "Bartholomew Nightingale-Ashby", "Ingrid Sørvåg-Tallis", "Octavia Wrenfield"
  };

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Every planted value, by kind; the good events' and the bad records' apart. */
  private final Map<String, String> goodValues = new LinkedHashMap<>();

  private final Map<String, String> collectorBadValues = new LinkedHashMap<>();
  private final Map<String, String> directBadValues = new LinkedHashMap<>();
  private final Set<String> acceptedIds = new TreeSet<>();

  /** The user who asks to be erased, and their personal values. */
  private static final String ERASED_GID = "90210417730055519990";

  private static final String ERASED_EMAIL = "erase.me.please@example.org";
  private final Map<String, String> erasedValues = new LinkedHashMap<>();

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
    plant(erasedValues, "user_gid", ERASED_GID);
    plant(erasedValues, "email", ERASED_EMAIL);
    // The user to erase: a comment and a task of theirs, a notification to them, then the request.
    collectorLines.add(goodEvent("piiscan-erased-18", 18, occurred, ERASED_GID, null));
    collectorLines.add(goodEvent("piiscan-erased-20", 20, occurred, ERASED_GID, null));
    collectorLines.add(goodEvent("piiscan-erased-21", 21, occurred, null, ERASED_GID));
    acceptedIds.add("piiscan-erasure-request");
    collectorLines.add(
        "{\"event_id\":\"piiscan-erasure-request\",\"event_type\":\"user.erasure_requested\","
            + "\"schema_version\":1,\"occurred_at\":\""
            + occurred.plusSeconds(30)
            + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\""
            + ERASED_GID
            + "\",\"email\":\""
            + ERASED_EMAIL
            + "\"},\"source\":{\"platform\":\"web\"},\"resource\":{\"type\":\"user\",\"gid\":\""
            + ERASED_GID
            + "\"},\"payload\":{\"user_gid\":\""
            + ERASED_GID
            + "\",\"requested_at\":\""
            + occurred
            + "\"}}");
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
    directLines.add( // the user to erase, in the pipeline's quarantine (no event type)
        "{\"event_id\":\"piiscan-direct-bad-3\",\"occurred_at\":\""
            + occurred
            + "\",\"actor\":{\"user_gid\":\""
            + ERASED_GID
            + "\",\"email\":\""
            + ERASED_EMAIL
            + "\"}}");

    Path keys = tmp.newFolder("user-keys").toPath();
    try (LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(RAW_TOPIC, 2);
      kafka.createTopic(DIRECT_TOPIC, 1);
      Path keyFile = tmp.newFile("app.key").toPath();
      Files.writeString(keyFile, APP_KEY);
      Child collector =
          Child.start(collectorCommand(kafka, keyFile, keys), logs.resolve("collector"));
      Child job = null;
      String metrics;
      try {
        Matcher port =
            Pattern.compile("listening on http://[^:]+:(\\d+)/")
                .matcher(collector.awaitOut("collab-collector: listening on", 60_000));
        assertThat(port.find(), equalTo(true));
        String answer = post(Integer.parseInt(port.group(1)), collectorLines);
        assertThat(answer, answer, containsString("\"accepted\":16,\"quarantined\":2"));
        publishDirect(kafka, directLines);

        System.out.printf(
            "PiiScanEndToEndTest: job starts at %.1f s%n", (System.nanoTime() - started) / 1e9);
        job = Child.start(pipelineCommand(kafka, conf, data, keys), logs.resolve("job"));
        Child running = job;
        StreamRuns.await(
            "every accepted event in the raw store and both bad records in the quarantine",
            150_000,
            job,
            () -> rawIds(data).equals(acceptedIds) && quarantined(data) == 3);
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
      // The scan does see into checkpoints: an event id the job holds in state is found there.
      // Dedup keeps ids as hashes only, so the id is a notification's trigger id, an item of the
      // notification_fanout accumulators of the windows still open.
      List<Finding> canary =
          PiiScanner.builder()
              .plant("trigger_event_id", TRIGGER_EVENT_ID)
              .build()
              .scanDirectory(flink.resolve("checkpoints"));
      assertThat(
          "an event id held in the metrics' state is found in the checkpoint's bytes",
          canary.stream().filter(f -> f.isOf(TRIGGER_EVENT_ID)).count(),
          greaterThan(0L));

      // The quarantines hold every planted value of the bad records, and nothing of the good ones.
      List<Finding> topic =
          scanner.scanTopic(kafka.clientConfig(), QUARANTINE_TOPIC, Duration.ofSeconds(30));
      assertThat(missing(topic, collectorBadValues), empty());
      assertThat(found(topic, goodValues), empty());
      List<Finding> store = scanner.scanDirectory(data.resolve("quarantine"));
      assertThat(missing(store, directBadValues), empty());
      assertThat(found(store, goodValues), empty());
      assertThat("the user to erase is in the quarantine", missing(store, erasedValues), empty());

      erase(kafka, data, logs, keys, occurred, metrics, reporterPort);
    }
    System.out.printf(
        "PiiScanEndToEndTest: %d planted values, %d accepted events, %.1f s%n",
        goodValues.size() + collectorBadValues.size() + directBadValues.size(),
        acceptedIds.size(),
        (System.nanoTime() - started) / 1e9);
  }

  /** A valid event of one of six types, with planted personal values wherever they may be. */
  private String goodEvent(String eventId, int i, Instant occurred) {
    return goodEvent(eventId, i, occurred, null, null);
  }

  /** The same, with the actor or the other user (mentioned, assignee, recipient…) given. */
  private String goodEvent(String eventId, int i, Instant occurred, String actor, String other) {
    acceptedIds.add(i == 0 ? CANARY_EVENT_ID : eventId);
    String id = i == 0 ? CANARY_EVENT_ID : eventId;
    String actorGid =
        actor != null
            ? actor
            : plant(goodValues, "user_gid", String.format("9021041773005551%04d", i));
    String otherGid =
        other != null
            ? other
            : plant(goodValues, "user_gid", String.format("9021041773005552%04d", i));
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
                + "\",\"channel\":\"email\",\"trigger_event_id\":\""
                + TRIGGER_EVENT_ID
                + "\","
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
    for (Map<String, String> m :
        List.of(goodValues, collectorBadValues, directBadValues, erasedValues)) {
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

  private List<String> collectorCommand(LocalKafka kafka, Path keyFile, Path keys)
      throws Exception {
    Files.createDirectories(tmp.getRoot().toPath().resolve("logs").resolve("collector"));
    return List.of(
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        StreamRuns.TEST_JIT,
        "-cp",
        StreamRuns.testClasspath(),
        CollabCollector.class.getName(),
        "--bootstrapServers=" + kafka.bootstrapServers(),
        "--appKeys=test=file:" + keyFile,
        "--pseudonymKey=dev",
        "--allowDevKey=true",
        "--userKeyStore=" + keys,
        "--port=" + freePort());
  }

  private List<String> pipelineCommand(LocalKafka kafka, Path conf, Path data, Path keys)
      throws Exception {
    Files.createDirectories(tmp.getRoot().toPath().resolve("logs").resolve("job"));
    List<String> c = StreamRuns.pipelineJvm();
    c.addAll(
        List.of(
            "--source=kafka",
            "--allowDevKey=true",
            "--kafkaBootstrapServers=" + kafka.bootstrapServers(),
            "--kafkaTopics=" + RAW_TOPIC + "," + DIRECT_TOPIC,
            "--kafkaGroupId=pii-scan",
            "--userKeyStore=" + keys,
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

  /**
   * The erasure at +72 hours: dbt before (the user is in the user-level model), {@code
   * collab-erasure} with its clock at the request + 72 h, a raw replay, dbt again; then the checks
   * of the class comment.
   */
  private void erase(
      LocalKafka kafka,
      Path data,
      Path logs,
      Path keys,
      Instant requested,
      String metrics,
      int reporterPort)
      throws Exception {
    long started = System.nanoTime();
    String index = new Pseudonymizer(KeyReference.dev().resolve()).index(ERASED_GID);
    String pseudonym;
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      UserKey key =
          store
              .get(index)
              .orElseThrow(() -> new AssertionError("the writers made no key for the user"));
      pseudonym = key.pseudonym();
      assertThat(
          "the history's pseudonym is the hash under the user's own secret",
          pseudonym,
          equalTo(hmac(key.secret(), ERASED_GID)));
    }
    dbt(data, logs.resolve("dbt-before.txt"));
    assertThat(
        "the user is in the user-level model before the erasure",
        rowsHolding(data, pseudonym),
        not(empty()));

    Instant now = requested.plus(Duration.ofHours(72));
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    String[] eraseArgs = {
      "--dataDir=" + data, "--userKeyStore=" + keys, "--pseudonymKey=dev", "--now=" + now
    };
    int code = CollabErasure.run(eraseArgs, out, out);
    String report = printed.toString(StandardCharsets.UTF_8);
    Files.writeString(logs.resolve("erasure.txt"), report);
    assertThat(report, code, equalTo(CollabErasure.EXIT_OK));
    assertThat(report, containsString("quarantine records of erased users: 1"));
    assertThat(report, containsString("pseudonym keys shredded: 1"));

    LocalDate first = LocalDate.ofInstant(requested, ZoneOffset.UTC);
    LocalDate last = LocalDate.ofInstant(requested.plusSeconds(60), ZoneOffset.UTC);
    String warehouse = "jdbc:duckdb:" + data.resolve("warehouse.duckdb");
    Child replay =
        Child.start(
            StreamRuns.rawReplayCommand(
                data, warehouse, first, last, List.of("--progressSeconds=0", "--allowDevKey=true")),
            Files.createDirectories(logs.resolve("replay")));
    assertThat(replay.tail(), replay.process.waitFor(5, TimeUnit.MINUTES), equalTo(true));
    assertThat(replay.tail(), replay.process.exitValue(), equalTo(0));
    dbt(data, logs.resolve("dbt-after.txt"));

    printed.reset();
    assertThat(CollabErasure.run(eraseArgs, out, out), equalTo(CollabErasure.EXIT_OK));
    String second = printed.toString(StandardCharsets.UTF_8);
    Files.writeString(logs.resolve("erasure-again.txt"), second);
    assertThat(second, containsString("quarantine records of erased users: 0"));
    assertThat(second, containsString("pseudonym keys shredded: 0"));

    // At +72 h: the user's id, index and email are in no output at all.
    PiiScanner linkable =
        PiiScanner.builder()
            .plant("user_gid", ERASED_GID)
            .plant("key_index", index)
            .plant("email", ERASED_EMAIL)
            .build();
    Map<String, List<Finding>> anywhere = new LinkedHashMap<>();
    anywhere.put(
        "raw topic", linkable.scanTopic(kafka.clientConfig(), RAW_TOPIC, Duration.ofSeconds(30)));
    // The quarantine holds other users' personal data by design: only the planted values count.
    anywhere.put(
        "data directory (quarantine included)",
        linkable.scanDirectory(data).stream().filter(Finding::isPlanted).toList());
    anywhere.put("logs (collector, job, replay, dbt, erasure)", linkable.scanDirectory(logs));
    anywhere.put("metrics page", linkable.scanText("metrics :" + reporterPort, metrics));
    for (Map.Entry<String, List<Finding>> e : anywhere.entrySet()) {
      assertThat(
          e.getKey() + ": " + e.getValue().stream().limit(20).toList(), e.getValue(), empty());
    }
    // The collector's quarantine topic cannot be purged record by record: its retention deletes a
    // record at most retention + one segment after it arrived, within the 72 hours.
    try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
      org.apache.kafka.common.config.ConfigResource topic =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, QUARANTINE_TOPIC);
      org.apache.kafka.clients.admin.Config config =
          admin.describeConfigs(List.of(topic)).all().get().get(topic);
      long kept =
          Long.parseLong(config.get("retention.ms").value())
              + Long.parseLong(config.get("segment.ms").value());
      assertThat(
          "the quarantine topic deletes a record within 71 h of its arrival",
          kept,
          org.hamcrest.Matchers.lessThanOrEqualTo(Duration.ofHours(71).toMillis()));
    }
    // Its pseudonym is in no table but the ledger (curated, dbt, replayed) nor in the quarantine.
    assertThat(rowsHolding(data, pseudonym), empty());
    assertThat(
        PiiScanner.builder()
            .plant("pseudonym", pseudonym)
            .build()
            .scanDirectory(data.resolve("quarantine"))
            .stream()
            .filter(Finding::isPlanted)
            .toList(),
        empty());
    // The raw history keeps it, unlinkable: no key holds it, no remaining secret makes it.
    assertThat(
        "the raw store still holds the pseudonym (crypto-shredding, not a rewrite)",
        PiiScanner.builder()
            .plant("pseudonym", pseudonym)
            .build()
            .scanDirectory(data.resolve("raw")),
        not(empty()));
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      assertThat(store.get(index).orElseThrow().isErased(), equalTo(true));
      int live = 0;
      for (UserKey k : store.entries()) {
        if (!k.isErased()) {
          live++;
          assertThat(k.pseudonym(), not(equalTo(pseudonym)));
          assertThat(hmac(k.secret(), ERASED_GID), not(equalTo(pseudonym)));
        }
      }
      assertThat("the other users keep their keys", live, greaterThan(10));
      assertThat(
          new Pseudonymizer(KeyReference.dev().resolve(), store).pseudonymize(ERASED_GID),
          equalTo(Pseudonymizer.ERASED));
    }
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM erasure_ledger WHERE pseudonym = '"
                    + pseudonym
                    + "' AND completed_at IS NOT NULL AND key_index IS NULL")) {
      rs.next();
      assertThat(
          "the ledger holds the request, complete, without its index", rs.getLong(1), equalTo(1L));
    }
    System.out.printf(
        "PiiScanEndToEndTest: erasure, replay and two dbt builds in %.1f s%n",
        (System.nanoTime() - started) / 1e9);
  }

  /**
   * Every warehouse table (stored rows: the pipeline's curated tables, the dbt models built as
   * tables; not the views over the raw store) but the erasure ledger's that holds {@code value} in
   * some column.
   */
  private static List<String> rowsHolding(Path data, String value) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c =
        DriverManager.getConnection("jdbc:duckdb:" + data.resolve("warehouse.duckdb"))) {
      List<String[]> columns = new ArrayList<>();
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT c.table_schema, c.table_name, c.column_name FROM"
                      + " information_schema.columns c JOIN information_schema.tables t ON"
                      + " t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE"
                      + " t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE 'erasure_ledger%'")) {
        while (rs.next()) {
          columns.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
        }
      }
      for (String[] col : columns) {
        String sql =
            "SELECT count(*) FROM \""
                + col[0]
                + "\".\""
                + col[1]
                + "\" WHERE CAST(\""
                + col[2]
                + "\" AS VARCHAR) LIKE '%"
                + value
                + "%'";
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery(sql)) {
          rs.next();
          if (rs.getLong(1) > 0) {
            out.add(col[0] + "." + col[1] + "." + col[2] + " (" + rs.getLong(1) + " rows)");
          }
        }
      }
    }
    return out;
  }

  /**
   * {@code bin/collab-dbt build} of the user-level models on this run's warehouse and raw store.
   */
  private static void dbt(Path data, Path log) throws Exception {
    Path script = Paths.get("..", "bin", "collab-dbt").toAbsolutePath().normalize();
    ProcessBuilder pb =
        new ProcessBuilder(
                script.toString(),
                "build",
                "--select",
                "+user_activity_daily+",
                "+dim_workspace_membership+",
                "+dim_project_membership+")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("COLLAB_WAREHOUSE_URL", "jdbc:duckdb:" + data.resolve("warehouse.duckdb"));
    pb.environment().put("COLLAB_RAW_STORE", data.resolve("raw").toString());
    Process p = pb.start();
    assertThat("dbt build ran within 10 minutes", p.waitFor(10, TimeUnit.MINUTES), equalTo(true));
    assertThat(Files.readString(log), p.exitValue(), equalTo(0));
  }

  /** The oracle of a per-user pseudonym: javax.crypto's HMAC-SHA256, first 128 bits, hex. */
  private static String hmac(byte[] secret, String gid) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    byte[] d = mac.doFinal(gid.getBytes(StandardCharsets.UTF_8));
    StringBuilder s = new StringBuilder("u_");
    for (int i = 0; i < 16; i++) {
      s.append(String.format("%02x", d[i] & 0xff));
    }
    return s.toString();
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

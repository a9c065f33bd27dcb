package io.collabpipeline.collector;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.transforms.pii.KeyReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The collector's HTTP contract on Kafka's MockProducer (no broker): per-event results, only the
 * minimized form in the raw topic, refused records in the quarantine topic as received, no answer
 * before Kafka acknowledged, and the key, size and rate limits.
 */
@RunWith(JUnit4.class)
public class CollectorServerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String KEY = "web-app-key-0123456789abcdef";

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private MockProducer<byte[], byte[]> kafka;
  private CollectorServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  private void start(boolean autoAck, CollectorServer.Config config) throws Exception {
    Path keyFile = tmp.newFile("web.key").toPath();
    Files.writeString(keyFile, KEY + "\n");
    kafka = new MockProducer<>(autoAck, new ByteArraySerializer(), new ByteArraySerializer());
    EdgeProducer edge = new EdgeProducer(kafka, "raw", "quarantine", KeyReference.dev());
    server = CollectorServer.start(config.port(0), AppKeys.resolve("web=file:" + keyFile), edge);
  }

  @After
  public void stop() {
    if (server != null) {
      server.close();
    }
  }

  static String event(String id, String text) {
    return "{\"event_id\":\""
        + id
        + "\",\"event_type\":\"comment.added\",\"schema_version\":1,\"occurred_at\":\""
        + Instant.now()
        + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\"42\",\"email\":\"zed@example.org\","
        + "\"name\":\"Zed Private\"},\"source\":{\"platform\":\"web\"},\"resource\":{\"type\":\"comment\","
        + "\"gid\":\"7\"},\"payload\":{\"task_gid\":\"70\",\"text\":\""
        + text
        + "\",\"mentioned_user_gids\":[\"901\"]},\"context\":{\"ip\":\"198.51.100.9\","
        + "\"user_agent\":\"Mozilla/5.0 private\"}}";
  }

  private HttpResponse<String> post(String body, String type, String key) throws Exception {
    return postAsync(body, type, key).get(20, TimeUnit.SECONDS);
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String body, String type, String key) {
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/v1/events");
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  public void aBatchGetsOneResultPerEventAndOnlyMinimizedEventsReachTheRawTopic() throws Exception {
    start(true, new CollectorServer.Config());
    String broken = "{\"event_id\":\"evt-00000003\",\"event_id\":\"dup\"}";
    HttpResponse<String> r =
        post(
            "["
                + event("evt-00000001", "secret words")
                + ","
                + event("evt-00000002", "more")
                + ","
                + broken
                + ",{\"event_id\":\"evt-00000004\",\"email\":\"a@b.c\"}]",
            "application/json",
            KEY);
    assertThat(r.body(), r.statusCode(), equalTo(200));
    JsonNode answer = MAPPER.readTree(r.body());
    assertThat(answer.path("accepted").asInt(), equalTo(2));
    assertThat(answer.path("quarantined").asInt(), equalTo(2));
    assertThat(answer.path("results").get(0).path("status").asText(), equalTo("accepted"));
    assertThat(answer.path("results").get(1).path("event_id").asText(), equalTo("evt-00000002"));
    assertThat(answer.path("results").get(2).path("reason").asText(), equalTo("DUPLICATE_KEY"));
    assertThat(answer.path("results").get(3).path("reason").asText(), equalTo("ENVELOPE_INVALID"));
    assertThat("results quote no values", r.body(), not(containsString("a@b.c")));

    int raw = 0;
    int quarantined = 0;
    for (ProducerRecord<byte[], byte[]> rec : kafka.history()) {
      String value = new String(rec.value(), StandardCharsets.UTF_8);
      if (rec.topic().equals("raw")) {
        raw++;
        for (String pii :
            new String[] {
              "secret words",
              "zed@example.org",
              "Zed Private",
              "198.51.100.9",
              "Mozilla",
              "\"42\"",
              "901"
            }) {
          assertThat(value, not(containsString(pii)));
        }
        assertThat(value, containsString("\"minimization\":{\"version\":1"));
      } else {
        quarantined++;
        assertThat(rec.topic(), equalTo("quarantine"));
        assertThat(
            new String(rec.headers().lastHeader(EdgeProducer.HEADER_ORIGIN).value()),
            equalTo("web"));
      }
    }
    assertThat(raw, equalTo(2));
    assertThat(quarantined, equalTo(2));
    assertThat(new String(kafka.history().get(2).value(), StandardCharsets.UTF_8), equalTo(broken));
  }

  @Test
  public void ndjsonBatchesAndBrokenArraysWhichAreQuarantinedWhole() throws Exception {
    start(true, new CollectorServer.Config());
    HttpResponse<String> r =
        post(
            event("evt-00000011", "a") + "\n\n" + event("evt-00000012", "b") + "\n",
            "application/x-ndjson",
            KEY);
    assertThat(r.body(), MAPPER.readTree(r.body()).path("accepted").asInt(), equalTo(2));
    HttpResponse<String> broken =
        post("[" + event("evt-00000013", "c") + ",{", "application/json", KEY);
    assertThat(broken.statusCode(), equalTo(400));
    ProducerRecord<byte[], byte[]> last = kafka.history().get(kafka.history().size() - 1);
    assertThat(last.topic(), equalTo("quarantine"));
    assertThat(
        new String(last.headers().lastHeader(EdgeProducer.HEADER_REASON).value()),
        equalTo("NOT_JSON"));
  }

  @Test
  public void theAnswerWaitsForKafkasAcknowledgementAndA503SaysRetry() throws Exception {
    start(false, new CollectorServer.Config().ackTimeout(Duration.ofSeconds(3)));
    CompletableFuture<HttpResponse<String>> pending =
        postAsync("[" + event("evt-00000021", "x") + "]", "application/json", KEY);
    while (kafka.history().isEmpty()) {
      Thread.sleep(10);
    }
    Thread.sleep(300);
    assertThat("no answer before Kafka acknowledged", pending.isDone(), equalTo(false));
    kafka.completeNext();
    assertThat(pending.get(10, TimeUnit.SECONDS).statusCode(), equalTo(200));

    CompletableFuture<HttpResponse<String>> failing =
        postAsync("[" + event("evt-00000022", "x") + "]", "application/json", KEY);
    while (kafka.history().size() < 2) {
      Thread.sleep(10);
    }
    kafka.errorNext(new org.apache.kafka.common.errors.NotEnoughReplicasException("test"));
    HttpResponse<String> r = failing.get(10, TimeUnit.SECONDS);
    assertThat(r.statusCode(), equalTo(503));
    assertThat(r.headers().firstValue("Retry-After").orElse(""), equalTo("1"));
  }

  @Test
  public void keysSizesAndRatesAreEnforced() throws Exception {
    start(true, new CollectorServer.Config().maxEventsPerBatch(2).rateLimit(1, 3));
    String one = "[" + event("evt-00000031", "x") + "]";
    assertThat(post(one, "application/json", null).statusCode(), equalTo(401));
    assertThat(post(one, "application/json", "wrong-key-0123456789").statusCode(), equalTo(401));
    assertThat(post(one, "text/plain", KEY).statusCode(), equalTo(415));
    String three =
        "["
            + event("evt-00000032", "x")
            + ","
            + event("evt-00000033", "x")
            + ","
            + event("evt-00000034", "x")
            + "]";
    assertThat(post(three, "application/json", KEY).statusCode(), equalTo(413));
    assertThat(post(one, "application/json", KEY).statusCode(), equalTo(200));
    assertThat(post(one, "application/json", KEY).statusCode(), equalTo(200));
    assertThat(post(one, "application/json", KEY).statusCode(), equalTo(200));
    HttpResponse<String> limited = post(one, "application/json", KEY);
    assertThat(limited.statusCode(), equalTo(429));
    assertThat(limited.headers().firstValue("Retry-After").isPresent(), equalTo(true));
  }
}

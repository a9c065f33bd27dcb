package io.collabpipeline.collector;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The collector's {@code --userKeyStore}: checked at launch, and per-user pseudonyms at the edge.
 */
@RunWith(JUnit4.class)
public class CollectorUserKeyStoreTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static String hmac(byte[] key, String gid) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return "u_"
        + HexFormat.of().formatHex(mac.doFinal(gid.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }

  @Test
  public void noStoreIsRefusedUnlessTheDevKeyIsAllowed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CollabCollector.userKeyStore(Map.of("pseudonymKey", "env:K")));
    assertThat(e.getMessage(), containsString("--userKeyStore=jdbc:postgresql://"));
    assertThat(e.getMessage(), containsString("--allowDevKey=true"));
    assertThat(e.getMessage(), not(containsString("\n")));
    assertThat(
        CollabCollector.userKeyStore(Map.of("allowDevKey", "true")), equalTo(UserKeyStores.NONE));
  }

  @Test
  public void aStoreThatCannotBeOpenedIsOneLineWithoutItsPassword() throws Exception {
    File notADirectory = tmp.newFile("plain-file");
    IllegalArgumentException dir =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CollabCollector.userKeyStore(
                    Map.of("userKeyStore", notADirectory.getPath() + "/keys")));
    assertThat(dir.getMessage(), containsString("--userKeyStore=" + notADirectory.getPath()));
    assertThat(dir.getMessage(), not(containsString("\n")));
    IllegalArgumentException pg =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CollabCollector.userKeyStore(
                    Map.of(
                        "userKeyStore",
                        "jdbc:postgresql://127.0.0.1:1/keys?user=u&password=hunter2&connectTimeout=2")));
    assertThat(
        pg.getMessage(), containsString("--userKeyStore=jdbc:postgresql://127.0.0.1:1/keys"));
    assertThat(pg.getMessage(), not(containsString("hunter2")));
    assertThat(pg.getMessage(), not(containsString("no JDBC driver")));
    String good = tmp.newFolder("keys").getPath();
    assertThat(CollabCollector.userKeyStore(Map.of("userKeyStore", good)), equalTo(good));
  }

  @Test
  public void theEdgeHashesEachUserUnderTheirStoredSecret() throws Exception {
    String store = tmp.newFolder("user-keys").getPath();
    MockProducer<byte[], byte[]> kafka =
        new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer());
    String event =
        "{\"event_id\":\"evt-peruser-0001\",\"event_type\":\"comment.added\",\"schema_version\":1,"
            + "\"occurred_at\":\""
            + Instant.now().minusSeconds(5)
            + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\"42\",\"email\":\"zed@example.org\"},"
            + "\"source\":{\"platform\":\"web\"},\"resource\":{\"type\":\"comment\",\"gid\":\"7\"},"
            + "\"payload\":{\"task_gid\":\"70\",\"text\":\"hi\",\"mentioned_user_gids\":[\"901\"]}}";
    String globalKeyId;
    try (EdgeProducer global =
        new EdgeProducer(
            new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer()),
            "raw",
            "quarantine",
            KeyReference.dev())) {
      globalKeyId = global.keyId();
    }
    try (EdgeProducer edge =
        new EdgeProducer(kafka, "raw", "quarantine", KeyReference.dev(), store)) {
      EdgeProducer.Result r =
          edge.send("web", event.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
      assertThat(r.status, equalTo(EdgeProducer.Result.Status.ACCEPTED));
      assertThat(edge.keyId(), not(equalTo(globalKeyId)));
    }
    assertThat(kafka.history(), hasSize(1));
    JsonNode wire = MAPPER.readTree(kafka.history().get(0).value());
    byte[] dev = KeyReference.dev().resolve();
    try (UserKeyStore keys = UserKeyStores.open(store)) {
      assertThat(keys.entries(), hasSize(2));
      assertThat(
          wire.at("/actor/user_gid").textValue(),
          equalTo(hmac(keys.get(hmac(dev, "42")).orElseThrow().secret(), "42")));
      assertThat(
          wire.at("/payload/mentioned_user_gids/0").textValue(),
          equalTo(hmac(keys.get(hmac(dev, "901")).orElseThrow().secret(), "901")));
    }
    assertThat(wire.at("/minimization/key_id").textValue(), not(equalTo(globalKeyId)));
  }
}

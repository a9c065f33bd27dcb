package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.coders.RawRecordCoder;
import io.collabpipeline.collector.EdgeProducer;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Per-user pseudonyms agree between the edge and the pipeline when both use one user key store: an
 * event minimized by the edge producer and a full event validated by the pipeline give the same
 * actor pseudonym, HMAC-SHA256 (computed here) under the secret the store holds for that user. An
 * event the edge minimized with global-key pseudonyms is quarantined by a per-user pipeline (its
 * key id is not the pipeline's), as any event minimized under another key is.
 */
@RunWith(JUnit4.class)
public class EdgePerUserPseudonymsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static final String ACTOR = "4711";

  private static String hmac(byte[] key, String gid) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return "u_"
        + HexFormat.of().formatHex(mac.doFinal(gid.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }

  private static byte[] event(String id) {
    return ("{\"event_id\":\""
            + id
            + "\",\"event_type\":\"comment.added\",\"schema_version\":1,\"occurred_at\":\""
            + Instant.now().minusSeconds(30)
            + "\",\"workspace_gid\":\"100\",\"actor\":{\"user_gid\":\""
            + ACTOR
            + "\",\"email\":\"zed@example.org\"},\"source\":{\"platform\":\"web\"},"
            + "\"resource\":{\"type\":\"comment\",\"gid\":\"7\"},"
            + "\"payload\":{\"task_gid\":\"70\",\"text\":\"hi\",\"mentioned_user_gids\":[\"901\"]}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** What the edge writes to the raw topic for {@code event}, with the given store (or none). */
  private static byte[] minimizedAtTheEdge(byte[] event, String userKeyStore) throws Exception {
    MockProducer<byte[], byte[]> kafka =
        new MockProducer<>(true, new ByteArraySerializer(), new ByteArraySerializer());
    try (EdgeProducer edge =
        new EdgeProducer(kafka, "raw", "quarantine", KeyReference.dev(), userKeyStore)) {
      EdgeProducer.Result r = edge.send("web", event).get(10, TimeUnit.SECONDS);
      assertThat(r.status, equalTo(EdgeProducer.Result.Status.ACCEPTED));
    }
    assertThat(kafka.history(), hasSize(1));
    return kafka.history().get(0).value();
  }

  private static RawRecord record(byte[] bytes, long offset) {
    return RawRecord.of(
        bytes, SourceRef.kafka("collab-events", 0, offset), System.currentTimeMillis());
  }

  @Test
  public void edgeAndPipelineAgreeOnPerUserPseudonymsAndRefuseGlobalOnes() throws Exception {
    String store = tmp.newFolder("user-keys").getPath();
    byte[] edgePerUser = minimizedAtTheEdge(event("evt-edge-peruser"), store);
    byte[] edgeGlobal = minimizedAtTheEdge(event("evt-edge-global"), UserKeyStores.NONE);

    ValidateEvents.Result validated =
        pipeline
            .apply(
                "CreateRecords",
                Create.of(
                        record(edgePerUser, 1), record(event("evt-full"), 2), record(edgeGlobal, 3))
                    .withCoder(RawRecordCoder.of()))
            .apply(
                "ValidateEvents",
                ValidateEvents.create()
                    .withPseudonymKey(KeyReference.dev())
                    .withUserKeyStore(store));
    PAssert.that(validated.events())
        .satisfies(
            events -> {
              List<CollabEvent> all = new ArrayList<>();
              events.forEach(all::add);
              assertThat(all, hasSize(2));
              try (UserKeyStore keys = UserKeyStores.open(store)) {
                byte[] dev = KeyReference.dev().resolve();
                byte[] secret = keys.get(hmac(dev, ACTOR)).orElseThrow().secret();
                String expected = hmac(secret, ACTOR);
                String mentioned = hmac(keys.get(hmac(dev, "901")).orElseThrow().secret(), "901");
                for (CollabEvent e : all) {
                  assertThat(e.eventId(), e.actorId(), equalTo(expected));
                  assertThat(e.payloadJson(), containsString(mentioned));
                  assertThat(e.actorId(), not(equalTo(hmac(dev, ACTOR))));
                }
              } catch (Exception ex) {
                throw new AssertionError(ex);
              }
              return null;
            });
    PAssert.that(validated.quarantined())
        .satisfies(
            quarantined -> {
              List<QuarantineRecord> all = new ArrayList<>();
              quarantined.forEach(all::add);
              assertThat(all, hasSize(1));
              QuarantineRecord q = all.get(0);
              assertThat(q.eventId(), equalTo("evt-edge-global"));
              assertThat(q.reason(), equalTo(ReasonCode.ENVELOPE_INVALID));
              assertThat(q.detail(), containsString("key_id"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}

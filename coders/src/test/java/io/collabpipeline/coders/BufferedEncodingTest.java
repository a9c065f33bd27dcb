package io.collabpipeline.coders;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The coders that gather their encoding in memory ({@code Codec.Buffer}) write exactly the bytes of
 * their documented layout as Beam's own primitive coders write it, field by field: the oracle here
 * is {@link StringUtf8Coder}, {@link VarLongCoder}, {@link VarIntCoder} and {@link ByteArrayCoder},
 * never the code under test. Equal bytes mean checkpoints and savepoints taken before the change
 * still decode.
 */
@RunWith(JUnit4.class)
public class BufferedEncodingTest {

  private static final String NON_ASCII = "Zoë – 東京 🚀";

  /** Beam's primitives, in the field order CollabEventCoder documents. */
  private static byte[] oracle(CollabEvent e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    str(e.eventId(), out);
    str(e.eventType(), out);
    VarIntCoder.of().encode(e.schemaVersion(), out);
    VarLongCoder.of().encode(e.occurredAtMillis(), out);
    VarLongCoder.of().encode(e.receivedAtMillis(), out);
    str(e.workspaceGid(), out);
    str(e.actorId(), out);
    str(e.platform(), out);
    nullable(e.service(), out);
    nullable(e.appVersion(), out);
    str(e.resourceType(), out);
    str(e.resourceGid(), out);
    nullable(e.taskGid(), out);
    nullable(e.triggerEventId(), out);
    nullable(e.triggerEventType(), out);
    str(e.payloadJson(), out);
    source(e.source(), out);
    return out.toByteArray();
  }

  private static void source(SourceRef ref, OutputStream out) throws IOException {
    str(ref.kind().code(), out);
    str(ref.name(), out);
    VarIntCoder.of().encode(ref.partition(), out);
    VarLongCoder.of().encode(ref.offset(), out);
  }

  private static void str(String s, OutputStream out) throws IOException {
    StringUtf8Coder.of().encode(s, out);
  }

  private static void nullable(String s, OutputStream out) throws IOException {
    if (s == null) {
      out.write(0);
    } else {
      out.write(1);
      str(s, out);
    }
  }

  private static CollabEvent event(String payload, SourceRef source) {
    return CollabEvent.builder()
        .setEventId("evt_" + NON_ASCII.length())
        .setEventType("notification.sent")
        .setSchemaVersion(-3)
        .setOccurredAtMillis(-1L)
        .setReceivedAtMillis(Long.MAX_VALUE)
        .setWorkspaceGid("1200000000000001")
        .setActorId("u_" + NON_ASCII)
        .setPlatform("ios")
        .setService("svc")
        .setAppVersion(null)
        .setResourceType("notification")
        .setResourceGid("1300000000000042")
        .setTaskGid(null)
        .setTriggerEventId("evt_trigger_0001")
        .setTriggerEventType("comment.added")
        .setPayloadJson(payload)
        .setSource(source)
        .build();
  }

  @Test
  public void collabEventBytesAreBeamsPrimitivesFieldByField() throws Exception {
    StringBuilder big = new StringBuilder("{\"text\":\"");
    while (big.length() < 200_000) {
      big.append(NON_ASCII);
    }
    big.append("\"}");
    for (CollabEvent e :
        new CollabEvent[] {
          event("{}", SourceRef.kafka("collab-events", Integer.MIN_VALUE, Long.MIN_VALUE)),
          event(big.toString(), SourceRef.file("/in/" + NON_ASCII + ".ndjson", 0L)),
          // After a large event the buffer is replaced by a small one: the next must be whole.
          event("{\"a\":1}", SourceRef.generator("generator", 7, 99L)),
          CodersTest.event("evt_00000001", "1300000000000042")
        }) {
      assertThat(CoderUtils.encodeToByteArray(CollabEventCoder.of(), e), equalTo(oracle(e)));
      assertThat(CoderUtils.decodeFromByteArray(CollabEventCoder.of(), oracle(e)), equalTo(e));
    }
  }

  @Test
  public void rawRecordAndSourceRefBytesAreBeamsPrimitives() throws Exception {
    byte[] payload = "{\"x\":\"ü\"}".getBytes(StandardCharsets.UTF_8);
    SourceRef ref = SourceRef.kafka("t", 2, 300L);
    RawRecord record = RawRecord.of(payload, ref, -5L);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    ByteArrayCoder.of().encode(payload, expected);
    source(ref, expected);
    VarLongCoder.of().encode(-5L, expected);
    assertThat(
        CoderUtils.encodeToByteArray(RawRecordCoder.of(), record), equalTo(expected.toByteArray()));

    ByteArrayOutputStream refOnly = new ByteArrayOutputStream();
    source(ref, refOnly);
    assertThat(
        CoderUtils.encodeToByteArray(SourceRefCoder.of(), ref), equalTo(refOnly.toByteArray()));
  }

  @Test
  public void metricAccumulatorBytesAreBeamsPrimitivesInItemOrder() throws Exception {
    Map<String, Long> items = new HashMap<>();
    for (int i = 0; i < 5_000; i++) {
      items.put("task-" + (i * 7919 % 5_000) + NON_ASCII, (long) i - 2_500);
    }
    MetricAccumulator acc = new MetricAccumulator(123_456L, 0L, items);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    VarLongCoder.of().encode(123_456L, expected);
    VarLongCoder.of().encode(0L, expected);
    VarIntCoder.of().encode(items.size(), expected);
    for (Map.Entry<String, Long> e : new TreeMap<>(items).entrySet()) {
      str(e.getKey(), expected);
      VarLongCoder.of().encode(e.getValue(), expected);
    }
    assertThat(
        CoderUtils.encodeToByteArray(MetricAccumulatorCoder.of(), acc),
        equalTo(expected.toByteArray()));
  }

  @Test
  public void aCoderNestedInAnotherEncodingOnTheSameThreadGetsItsOwnBuffer() throws Exception {
    CollabEvent e = CodersTest.event("evt_00000002", null);
    byte[][] nested = new byte[1][];
    ByteArrayOutputStream heldBytes = new ByteArrayOutputStream();
    Codec.Buffer.encode(
        heldBytes,
        held -> {
          held.writeString("held");
          nested[0] = CoderUtils.encodeToByteArray(CollabEventCoder.of(), e);
        });
    assertThat(nested[0], equalTo(oracle(e)));
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    str("held", expected);
    assertThat(heldBytes.toByteArray(), equalTo(expected.toByteArray()));
  }

  @Test
  public void aNullRequiredStringFailsAndLeavesTheBufferUsable() throws Exception {
    CollabEvent ok = CodersTest.event("evt_00000003", "1");
    assertThrows(
        CoderException.class,
        () -> Codec.Buffer.encode(new ByteArrayOutputStream(), b -> b.writeString(null)));
    assertThat(CoderUtils.encodeToByteArray(CollabEventCoder.of(), ok), equalTo(oracle(ok)));
  }
}

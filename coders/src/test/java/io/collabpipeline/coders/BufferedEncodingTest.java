package io.collabpipeline.coders;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
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
 *
 * <p>{@link CollabEventCoder} has two wire versions: version 1 (checkpoints and savepoints taken
 * before round 18) is the byte 1, then the fields; version 2, what it writes since, is the byte 2,
 * the fields' byte count as Beam's varint, then the same fields. Both decode.
 */
@RunWith(JUnit4.class)
public class BufferedEncodingTest {

  private static final String NON_ASCII = "Zoë – 東京 🚀";

  /** Version 2: the byte 2, the byte count of the fields, the fields. */
  private static byte[] oracle(CollabEvent e) throws IOException {
    byte[] fields = fields(e);
    return framed(fields, fields.length);
  }

  /** The byte 2, {@code count} as Beam's varint, then {@code fields}. */
  private static byte[] framed(byte[] fields, int count) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(2);
    VarIntCoder.of().encode(count, out);
    out.write(fields);
    return out.toByteArray();
  }

  /** Version 1: the byte 1, then the fields. */
  private static byte[] version1(CollabEvent e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    out.write(fields(e));
    return out.toByteArray();
  }

  /** Beam's primitives, in the field order CollabEventCoder documents. */
  private static byte[] fields(CollabEvent e) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
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
      CollabEvent fromV2 = CoderUtils.decodeFromByteArray(CollabEventCoder.of(), oracle(e));
      CollabEvent fromV1 = CoderUtils.decodeFromByteArray(CollabEventCoder.of(), version1(e));
      assertThat(fromV2, equalTo(e));
      assertThat(fromV1, equalTo(e));
      // Read or not, an event decoded from either version is written again as version 2.
      assertThat(CoderUtils.encodeToByteArray(CollabEventCoder.of(), fromV1), equalTo(oracle(e)));
      assertThat(
          CoderUtils.encodeToByteArray(
              CollabEventCoder.of(),
              CoderUtils.decodeFromByteArray(CollabEventCoder.of(), oracle(e))),
          equalTo(oracle(e)));
      assertThat(
          CoderUtils.encodeToByteArray(CollabEventCoder.of(), fromV1.withoutPayload()),
          equalTo(oracle(e.withoutPayload())));
    }
  }

  private static CollabEvent decode(byte[] bytes) throws IOException {
    return CollabEventCoder.of().decode(new ByteArrayInputStream(bytes));
  }

  @Test
  public void aVersion2ByteCountThatDisagreesWithItsFieldsIsRefused() throws Exception {
    CollabEvent e = CodersTest.event("evt_00000004", "1");
    byte[] fields = fields(e);
    int count = fields.length;

    // Fewer bytes than the fields take: the last field runs past them.
    CoderException shortCount =
        assertThrows(CoderException.class, () -> decode(framed(fields, count - 1)));
    assertThat(shortCount.getMessage(), containsString("truncated"));

    // More bytes than the fields take (one more byte behind them): the fields end early.
    byte[] longer = Arrays.copyOf(framed(fields, count + 1), framed(fields, count).length + 1);
    CoderException longCount = assertThrows(CoderException.class, () -> decode(longer));
    assertThat(longCount.getMessage(), containsString("corrupt CollabEvent encoding"));

    // A count past the end of the stream, none, and no version byte at all.
    assertThrows(EOFException.class, () -> decode(framed(fields, count + 1000)));
    CoderException zero = assertThrows(CoderException.class, () -> decode(framed(fields, 0)));
    assertThat(zero.getMessage(), containsString("invalid CollabEvent field byte count 0"));
    assertThrows(EOFException.class, () -> decode(new byte[0]));
  }

  @Test
  public void anEventChunkMayHoldBothVersions() throws Exception {
    List<CollabEvent> events = EncodedCollabEventTest.events();
    ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    for (int i = 0; i < events.size(); i++) {
      chunk.write(i % 2 == 0 ? version1(events.get(i)) : oracle(events.get(i)));
    }
    List<CollabEvent> read = new ArrayList<>();
    EventChunk.forEach(chunk.toByteArray(), read::add);
    assertThat(read, equalTo(events));
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

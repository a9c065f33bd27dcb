package io.collabpipeline.coders;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import io.collabpipeline.model.MetricTotals;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Round-trip, determinism, compactness and registration of every project coder. */
@RunWith(JUnit4.class)
public class CodersTest {

  static final SourceRef KAFKA_REF = SourceRef.kafka("collab-events", 3, 1_042L);
  static final SourceRef FILE_REF = SourceRef.file("/in/events-1.json.gz", 17L);

  static CollabEvent event(String id, String taskGid) {
    return CollabEvent.builder()
        .setEventId(id)
        .setEventType("task.updated")
        .setSchemaVersion(2)
        .setOccurredAtMillis(1_793_000_000_123L)
        .setReceivedAtMillis(1_793_000_001_000L)
        .setWorkspaceGid("1200000000000001")
        .setActorId("u_0123456789abcdef0123456789abcdef")
        .setPlatform("web")
        .setService(null)
        .setAppVersion("7.2.1")
        .setResourceType("task")
        .setResourceGid("1300000000000042")
        .setTaskGid(taskGid)
        .setTriggerEventId(null)
        .setTriggerEventType(null)
        .setPayloadJson("{\"changed_fields\":[\"due_on\"],\"task_gid\":\"1300000000000042\"}")
        .setSource(KAFKA_REF)
        .build();
  }

  @Test
  public void sourceRefRoundTripsAndIsDeterministic() throws Exception {
    for (SourceRef ref :
        Arrays.asList(KAFKA_REF, FILE_REF, SourceRef.generator("generator", 0, 99L))) {
      CoderProperties.coderDecodeEncodeEqual(SourceRefCoder.of(), ref);
      CoderProperties.coderDeterministic(
          SourceRefCoder.of(),
          ref,
          SourceRef.of(ref.kind(), ref.name(), ref.partition(), ref.offset()));
    }
  }

  @Test
  public void rawRecordKeepsInvalidUtf8BytesExactly() throws Exception {
    byte[] notUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    RawRecord in = RawRecord.of(notUtf8, FILE_REF, 1_793_000_000_000L);
    RawRecord out = CoderUtils.clone(RawRecordCoder.of(), in);
    assertThat(out.payload(), equalTo(notUtf8));
    assertThat(out.source(), equalTo(FILE_REF));
    assertThat(out.receivedAtMillis(), equalTo(1_793_000_000_000L));
    CoderProperties.coderDeterministic(
        RawRecordCoder.of(), in, RawRecord.of(notUtf8.clone(), FILE_REF, 1_793_000_000_000L));
  }

  @Test
  public void quarantineRecordRoundTripsWithAndWithoutIds() throws Exception {
    RawRecord raw = RawRecord.of("{\"x\":1}".getBytes(StandardCharsets.UTF_8), KAFKA_REF, 5L);
    for (QuarantineRecord q :
        Arrays.asList(
            QuarantineRecord.of(
                raw,
                ReasonCode.PAYLOAD_INVALID,
                "/payload/task_gid: required",
                "evt_12345678",
                "task.updated"),
            QuarantineRecord.of(raw, ReasonCode.NOT_JSON, "unexpected end of input", null, null))) {
      QuarantineRecord back = CoderUtils.clone(QuarantineRecordCoder.of(), q);
      assertThat(back.reason(), equalTo(q.reason()));
      assertThat(back.detail(), equalTo(q.detail()));
      assertThat(back.eventId(), equalTo(q.eventId()));
      assertThat(back.eventType(), equalTo(q.eventType()));
      assertThat(back.original().payload(), equalTo(raw.payload()));
      assertThat(
          CoderUtils.encodeToByteArray(QuarantineRecordCoder.of(), q),
          equalTo(CoderUtils.encodeToByteArray(QuarantineRecordCoder.of(), back)));
    }
  }

  /**
   * A reason travels as its name, so appending codes to {@link ReasonCode} (or any order of its
   * constants) leaves the encoding of every existing code unchanged; the names already written to
   * quarantines still decode.
   */
  @Test
  public void reasonCodesAreEncodedByTheirStableNameNotTheirOrdinal() throws Exception {
    RawRecord raw = RawRecord.of("{}".getBytes(StandardCharsets.UTF_8), KAFKA_REF, 5L);
    byte[] rawBytes = CoderUtils.encodeToByteArray(RawRecordCoder.of(), raw);
    for (ReasonCode reason : ReasonCode.values()) {
      byte[] name = reason.name().getBytes(StandardCharsets.US_ASCII);
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      expected.write(rawBytes);
      expected.write(name.length); // a one-byte varint: every code is shorter than 128 characters
      expected.write(name);
      expected.write(new byte[] {1, 'd', 0, 0}); // detail "d", no event id, no event type
      QuarantineRecord q = QuarantineRecord.of(raw, reason, "d", null, null);
      assertThat(reason.code(), equalTo(reason.name()));
      assertThat(
          CoderUtils.encodeToByteArray(QuarantineRecordCoder.of(), q),
          equalTo(expected.toByteArray()));
      assertThat(CoderUtils.clone(QuarantineRecordCoder.of(), q).reason(), equalTo(reason));
    }
    for (String written :
        Arrays.asList(
            "EMPTY_RECORD",
            "TOO_LARGE",
            "NOT_UTF8",
            "NOT_JSON",
            "NOT_AN_OBJECT",
            "DUPLICATE_KEY",
            "TOO_DEEP",
            "TRAILING_DATA",
            "ENVELOPE_INVALID",
            "INVALID_TIMESTAMP",
            "UNKNOWN_EVENT_TYPE",
            "UNKNOWN_SCHEMA_VERSION",
            "PAYLOAD_INVALID",
            "OCCURRED_IN_FUTURE",
            "OCCURRED_TOO_LONG_AGO")) {
      assertThat(ReasonCode.valueOf(written).code(), equalTo(written));
    }
  }

  @Test
  public void collabEventRoundTripsIncludingNulls() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(
        CollabEventCoder.of(), event("evt_00000001", "1300000000000042"));
    CoderProperties.coderDecodeEncodeEqual(CollabEventCoder.of(), event("evt_00000002", null));
    CoderProperties.coderDeterministic(
        CollabEventCoder.of(), event("evt_00000001", "7"), event("evt_00000001", "7"));
    CoderProperties.coderConsistentWithEquals(
        CollabEventCoder.of(), event("evt_00000001", "7"), event("evt_00000001", "8"));
  }

  @Test
  public void collabEventEncodingIsCompact() throws Exception {
    CollabEvent e = event("evt_00000001", "1300000000000042");
    int fieldBytes =
        e.eventId().length()
            + e.eventType().length()
            + e.workspaceGid().length()
            + e.actorId().length()
            + e.platform().length()
            + e.appVersion().length()
            + e.resourceType().length()
            + e.resourceGid().length()
            + e.taskGid().length()
            + e.payloadJson().length()
            + e.source().name().length()
            + e.source().kind().code().length();
    int encoded = CoderUtils.encodeToByteArray(CollabEventCoder.of(), e).length;
    // Lengths, var-ints and null flags only: a self-describing or Java-serialized form would be
    // several times larger.
    assertThat(encoded - fieldBytes, lessThan(48));
  }

  @Test
  public void collabEventDecodeRefusesAnUnknownFormatVersion() throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(CollabEventCoder.of(), event("evt_00000001", "1"));
    bytes[0] = 9;
    IOException e =
        assertThrows(
            IOException.class, () -> CollabEventCoder.of().decode(new ByteArrayInputStream(bytes)));
    assertThat(e.getMessage(), equalTo("unknown CollabEvent encoding version 9"));
  }

  @Test
  public void curatedRowsOfEveryTableRoundTrip() throws Exception {
    List<CuratedRow> rows =
        Arrays.asList(
            CuratedRow.activeEditors(1_793_000_040_000L, Granularity.MINUTE, "12", 7L),
            CuratedRow.taskUpdateVelocity(1_792_998_000_000L, Granularity.HOUR, "12", 40L, 11L, 3L),
            CuratedRow.notificationFanout(
                1_792_972_800_000L, Granularity.DAY, "12", "comment.added", 3L, 10L, 6L),
            CuratedRow.completeness(1_792_998_000_000L, Granularity.HOUR, "received", 1_000_000L));
    for (CuratedRow row : rows) {
      CoderProperties.coderDecodeEncodeEqual(CuratedRowCoder.of(), row);
      CoderProperties.coderDeterministic(
          CuratedRowCoder.of(), row, CuratedRow.of(row.table(), row.values()));
    }
    CuratedRow fanout = CoderUtils.clone(CuratedRowCoder.of(), rows.get(2));
    assertThat(fanout.getDouble("fanout_avg"), equalTo(10.0 / 3.0));
    assertThat(fanout.getLong("window_end"), equalTo(1_792_972_800_000L + 86_400_000L));
  }

  @Test
  public void metricAccumulatorEncodesItemsInSortedOrderWhateverTheInsertionOrder()
      throws Exception {
    MetricAccumulator a = new MetricAccumulator().addCount(3).addItem("b", 1).addItem("a", 2);
    MetricAccumulator b =
        new MetricAccumulator().addItem("a", 1).addItem("b", 1).addCount(3).addItem("a", 1);
    CoderProperties.coderDeterministic(MetricAccumulatorCoder.of(), a, b);
    CoderProperties.coderDecodeEncodeEqual(MetricAccumulatorCoder.of(), a);
    CoderProperties.coderDecodeEncodeEqual(
        MetricAccumulatorCoder.of(), new MetricAccumulator(0, 0, new TreeMap<String, Long>()));
  }

  /**
   * The table-order twin writes the deterministic coder's layout with the items in another order:
   * each reads the other's bytes back to an equal accumulator, the two encodings have the same
   * length and the same bytes once the items are sorted out of them, and it says it is not
   * deterministic. The accumulators hold ids whose String hashes collide, through several growths.
   */
  @Test
  public void metricAccumulatorInTableOrderIsTheSameLayoutWithTheItemsUnsorted() throws Exception {
    Coder<MetricAccumulator> sorted = MetricAccumulatorCoder.of();
    Coder<MetricAccumulator> inTableOrder = MetricAccumulatorCoder.inTableOrder();
    Random random = new Random(7);
    boolean someOrderDiffered = false;
    for (int round = 0; round < 30; round++) {
      MetricAccumulator acc = new MetricAccumulator().addCount(round).addCompleted(round / 2);
      int items = round == 0 ? 0 : random.nextInt(400);
      for (int i = 0; i < items; i++) {
        int n = random.nextInt(1000);
        acc.addItem((n % 2 == 0 ? "Aa" : "BB") + (n % 3 == 0 ? "Aa" : "BB") + n, 1 + n % 3);
      }
      byte[] deterministic = CoderUtils.encodeToByteArray(sorted, acc);
      byte[] unordered = CoderUtils.encodeToByteArray(inTableOrder, acc);
      assertThat(CoderUtils.decodeFromByteArray(inTableOrder, unordered), equalTo(acc));
      assertThat(CoderUtils.decodeFromByteArray(sorted, unordered), equalTo(acc));
      assertThat(CoderUtils.decodeFromByteArray(inTableOrder, deterministic), equalTo(acc));
      assertThat(unordered.length, equalTo(deterministic.length));
      // Re-encoded by the deterministic coder, the unordered bytes give its own bytes.
      assertThat(
          CoderUtils.encodeToByteArray(
              sorted, CoderUtils.decodeFromByteArray(inTableOrder, unordered)),
          equalTo(deterministic));
      someOrderDiffered |= !Arrays.equals(unordered, deterministic);
    }
    assertThat("the table's order is not the sorted order", someOrderDiffered, equalTo(true));
    assertThrows(Coder.NonDeterministicException.class, inTableOrder::verifyDeterministic);
    assertThat(inTableOrder.consistentWithEquals(), equalTo(false));
    assertThat(inTableOrder.equals(sorted), equalTo(false));
    sorted.verifyDeterministic();
  }

  /**
   * A window's totals are its counters, its number of distinct items and the largest count of one
   * item, worked out by hand here; they do not move when the accumulator is added to afterwards (a
   * streaming pane is taken while the window goes on). The coder writes the four numbers as Beam's
   * VarLongCoder does, one after the other, and reads them back.
   */
  @Test
  public void metricTotalsAreTheAccumulatorsFiguresAtThatMomentAndEncodeAsFourVarLongs()
      throws Exception {
    MetricAccumulator acc =
        new MetricAccumulator()
            .addCount(7)
            .addCompleted(2)
            .addItem("t-1", 3)
            .addItem("t-2", 1)
            .addItem("t-1", 2)
            .addItem("t-3", 1);
    MetricTotals totals = MetricTotals.of(acc);
    acc.addCount(100).addItem("t-4", 9);
    assertThat(totals, equalTo(MetricTotals.of(7, 2, 3, 5)));
    assertThat(totals.count(), equalTo(7L));
    assertThat(totals.completed(), equalTo(2L));
    assertThat(totals.distinctItems(), equalTo(3L));
    assertThat(totals.maxItemCount(), equalTo(5L));

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (long v : new long[] {7, 2, 3, 5}) {
      VarLongCoder.of().encode(v, expected);
    }
    assertThat(
        CoderUtils.encodeToByteArray(MetricTotalsCoder.of(), totals),
        equalTo(expected.toByteArray()));
    CoderProperties.coderDecodeEncodeEqual(MetricTotalsCoder.of(), totals);
    CoderProperties.coderDecodeEncodeEqual(
        MetricTotalsCoder.of(), MetricTotals.of(new MetricAccumulator()));
    CoderProperties.coderDeterministic(MetricTotalsCoder.of(), totals, MetricTotals.of(7, 2, 3, 5));

    ByteArrayOutputStream negative = new ByteArrayOutputStream();
    for (long v : new long[] {1, 0, -1, 1}) {
      VarLongCoder.of().encode(v, negative);
    }
    IOException e =
        assertThrows(
            IOException.class,
            () -> MetricTotalsCoder.of().decode(new ByteArrayInputStream(negative.toByteArray())));
    assertThat(e.getMessage().contains("corrupt MetricTotals"), equalTo(true));
  }

  /**
   * A corrupt item count (far more items than the bytes hold) fails as a truncated input, without
   * first allocating a map for that many items. The bytes are written with Beam's own VarLongCoder
   * and VarIntCoder (the counters, the count, the item's length) and one item.
   */
  @Test
  public void aMetricAccumulatorWithACorruptItemCountFailsAsTruncated() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    VarLongCoder.of().encode(3L, bytes);
    VarLongCoder.of().encode(1L, bytes);
    VarIntCoder.of().encode(Integer.MAX_VALUE, bytes);
    byte[] item = "only-item".getBytes(StandardCharsets.UTF_8);
    VarIntCoder.of().encode(item.length, bytes);
    bytes.write(item);
    VarLongCoder.of().encode(1L, bytes);
    assertThrows(
        IOException.class,
        () -> MetricAccumulatorCoder.of().decode(new ByteArrayInputStream(bytes.toByteArray())));
  }

  @Test
  public void everyModelTypeGetsItsProjectCoderByDefault() throws Exception {
    CoderRegistry registry = CoderRegistry.createDefault();
    assertCoder(registry, SourceRef.class, SourceRefCoder.class);
    assertCoder(registry, RawRecord.class, RawRecordCoder.class);
    assertCoder(registry, QuarantineRecord.class, QuarantineRecordCoder.class);
    assertCoder(registry, CollabEvent.class, CollabEventCoder.class);
    assertCoder(registry, CuratedRow.class, CuratedRowCoder.class);
    assertCoder(registry, MetricAccumulator.class, MetricAccumulatorCoder.class);
  }

  @Test
  public void everyProjectCoderClaimsDeterminism() throws Exception {
    for (Coder<?> c :
        Arrays.<Coder<?>>asList(
            SourceRefCoder.of(),
            RawRecordCoder.of(),
            QuarantineRecordCoder.of(),
            CollabEventCoder.of(),
            CuratedRowCoder.of(),
            MetricAccumulatorCoder.of())) {
      c.verifyDeterministic();
    }
  }

  private static void assertCoder(CoderRegistry registry, Class<?> type, Class<?> coderClass)
      throws Exception {
    assertThat(type.getSimpleName(), registry.getCoder(type), instanceOf(coderClass));
  }
}

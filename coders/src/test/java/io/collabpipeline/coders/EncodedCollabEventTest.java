package io.collabpipeline.coders;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link CollabEventCoder} decodes to an {@link EncodedCollabEvent}, which holds the bytes and
 * reads its fields on first use. The oracle is the event built field by field ({@link
 * CodersTest#event}) and the coder's bytes of that event.
 */
@RunWith(JUnit4.class)
public class EncodedCollabEventTest {
  private static final CollabEventCoder CODER = CollabEventCoder.of();

  static List<CollabEvent> events() {
    CollabEvent nonAscii =
        CodersTest.event("evt_ü€😀", "1300000000000042").toBuilder()
            .setService("notifications")
            .setTriggerEventId("evt_trigger")
            .setTriggerEventType("comment.created")
            .setPayloadJson("{\"name\":\"Zoë's plan — ✓\"}")
            .setSource(SourceRef.file("/in/événements-1.ndjson", 17L))
            .build();
    CollabEvent negatives =
        CodersTest.event("evt_2", "1").toBuilder()
            .setSchemaVersion(-1)
            .setOccurredAtMillis(-62_135_596_800_000L)
            .setReceivedAtMillis(Long.MAX_VALUE)
            .setPayloadJson("")
            .setSource(SourceRef.kafka("t", Integer.MAX_VALUE, Long.MIN_VALUE))
            .build();
    char[] big = new char[100_000];
    Arrays.fill(big, 'x');
    CollabEvent large =
        CodersTest.event("evt_3", null).toBuilder().setPayloadJson(new String(big)).build();
    return List.of(CodersTest.event("evt_1", null), nonAscii, negatives, large);
  }

  @Test
  public void aDecodedEventEqualsTheEventItWasEncodedFrom() throws Exception {
    for (CollabEvent original : events()) {
      // The first fields read on their own, before the rest.
      CollabEvent fresh = CoderUtils.clone(CODER, original);
      assertThat(fresh.workspaceGid(), equalTo(original.workspaceGid()));
      assertThat(fresh.receivedAtMillis(), equalTo(original.receivedAtMillis()));
      assertThat(fresh.eventType(), equalTo(original.eventType()));
      assertThat(fresh.actorId(), equalTo(original.actorId()));
      assertThat(fresh.eventId(), equalTo(original.eventId()));
      CollabEvent decoded = CoderUtils.clone(CODER, original);
      assertThat(decoded, instanceOf(EncodedCollabEvent.class));
      // Both ways round, before any field was read and after.
      assertThat(original.equals(decoded), equalTo(true));
      assertThat(decoded, equalTo(original));
      assertThat(decoded.hashCode(), equalTo(original.hashCode()));
      assertThat(decoded.eventId(), equalTo(original.eventId()));
      assertThat(decoded.schemaVersion(), equalTo(original.schemaVersion()));
      assertThat(decoded.occurredAtMillis(), equalTo(original.occurredAtMillis()));
      assertThat(decoded.receivedAtMillis(), equalTo(original.receivedAtMillis()));
      assertThat(decoded.service(), equalTo(original.service()));
      assertThat(decoded.taskGid(), equalTo(original.taskGid()));
      assertThat(decoded.triggerEventType(), equalTo(original.triggerEventType()));
      assertThat(decoded.payloadJson(), equalTo(original.payloadJson()));
      assertThat(decoded.source(), equalTo(original.source()));
      assertThat(decoded.toString(), equalTo(original.toString()));
      assertThat(decoded.withoutPayload(), equalTo(original.withoutPayload()));
    }
  }

  @Test
  public void aDecodedEventIsWrittenAgainAsTheSameBytesReadOrNot() throws Exception {
    for (CollabEvent original : events()) {
      byte[] expected = CoderUtils.encodeToByteArray(CODER, original);
      CollabEvent unread = CoderUtils.decodeFromByteArray(CODER, expected);
      assertThat(CoderUtils.encodeToByteArray(CODER, unread), equalTo(expected));
      CollabEvent read = CoderUtils.decodeFromByteArray(CODER, expected);
      read.payloadJson();
      assertThat(CoderUtils.encodeToByteArray(CODER, read), equalTo(expected));
      // A changed copy is a new event, encoded from its fields.
      CollabEvent changed = read.toBuilder().setEventType("task.deleted").build();
      assertThat(CoderUtils.clone(CODER, changed).eventType(), equalTo("task.deleted"));
    }
  }

  @Test
  public void withoutPayloadIsTheNarrowEventsEncodingMadeFromTheBytes() throws Exception {
    for (CollabEvent original : events()) {
      CollabEvent narrow = CoderUtils.clone(CODER, original).withoutPayload();
      assertThat(narrow, equalTo(original.withoutPayload()));
      assertThat(narrow.payloadJson(), equalTo(""));
      assertThat(
          CoderUtils.encodeToByteArray(CODER, narrow),
          equalTo(CoderUtils.encodeToByteArray(CODER, original.withoutPayload())));
    }
  }

  @Test
  public void eachDecodeTakesExactlyOneEventOffAStream() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (CollabEvent e : events()) {
      CODER.encode(e, out);
    }
    out.write(0x7F); // what follows the events in the stream
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    for (CollabEvent e : events()) {
      assertThat(CODER.decode(in), equalTo(e));
    }
    assertThat(in.read(), equalTo(0x7F));
  }

  @Test
  public void aTruncatedEncodingFailsWhenDecodedNotWhenRead() throws Exception {
    byte[] whole = CoderUtils.encodeToByteArray(CODER, events().get(1));
    for (int length = 0; length < whole.length; length++) {
      byte[] cut = Arrays.copyOf(whole, length);
      assertThrows(
          "cut at " + length, IOException.class, () -> CODER.decode(new ByteArrayInputStream(cut)));
    }
  }
}

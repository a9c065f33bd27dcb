package io.collabpipeline.coders;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.CollabEvent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link EventChunk} holds its events as {@link CollabEventCoder}'s encodings back to back (the
 * coder's own bytes, event by event, are the oracle), gives back the same events in the same order,
 * starts empty again after {@link EventChunk#take}, and refuses bytes that do not end where an
 * encoding ends.
 */
@RunWith(JUnit4.class)
public class EventChunkTest {

  /** Events with and without their nullable fields, one with a long non-ASCII payload. */
  private static List<CollabEvent> events() {
    List<CollabEvent> events = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      CollabEvent e = CodersTest.event("evt_" + i, i % 3 == 0 ? null : "task-" + i);
      if (i % 5 == 0) {
        e =
            e.toBuilder()
                .setService("api")
                .setTriggerEventId("trg-" + i)
                .setTriggerEventType("task.updated")
                .build();
      }
      if (i == 7) {
        e = e.toBuilder().setPayloadJson("{\"note\":\"" + "é€".repeat(3_000) + "\"}").build();
      }
      events.add(e);
    }
    return events;
  }

  private static byte[] eachEncodedByTheCoder(List<CollabEvent> events) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (CollabEvent e : events) {
      out.write(CoderUtils.encodeToByteArray(CollabEventCoder.of(), e));
    }
    return out.toByteArray();
  }

  private static List<CollabEvent> read(byte[] chunk) throws Exception {
    List<CollabEvent> out = new ArrayList<>();
    EventChunk.forEach(chunk, out::add);
    return out;
  }

  @Test
  public void holdsTheCodersEncodingsBackToBackAndGivesBackTheSameEventsInOrder() throws Exception {
    List<CollabEvent> events = events();
    // A first capacity far below one event: the array grows many times.
    EventChunk chunk = new EventChunk(1);
    for (CollabEvent e : events) {
      chunk.add(e);
    }
    byte[] expected = eachEncodedByTheCoder(events);
    assertThat(chunk.events(), equalTo(events.size()));
    assertThat(chunk.bytes(), equalTo(expected.length));

    byte[] taken = chunk.take();
    assertThat(taken, equalTo(expected));
    assertThat(read(taken), equalTo(events));
    // Decoded events encode to their own bytes again.
    assertThat(eachEncodedByTheCoder(read(taken)), equalTo(expected));
  }

  @Test
  public void isEmptyAfterTakeAndTakesOnlyWhatWasAddedSince() throws Exception {
    List<CollabEvent> events = events();
    EventChunk chunk = new EventChunk(64);
    chunk.add(events.get(0));
    chunk.add(events.get(1));
    chunk.take();
    assertThat(chunk.events(), equalTo(0));
    assertThat(chunk.bytes(), equalTo(0));
    assertThat(chunk.take().length, equalTo(0));
    assertThat(read(new byte[0]), equalTo(List.of()));

    chunk.add(events.get(2));
    assertThat(read(chunk.take()), equalTo(List.of(events.get(2))));
  }

  @Test
  public void refusesATruncatedChunkAnUnknownVersionAndACorruptLength() throws Exception {
    byte[] whole = eachEncodedByTheCoder(events().subList(0, 3));
    int firstEnd = CoderUtils.encodeToByteArray(CollabEventCoder.of(), events().get(0)).length;

    // Cut inside the third event: the first two are handed over, then the chunk is refused.
    List<CollabEvent> before = new ArrayList<>();
    CoderException truncated =
        assertThrows(
            CoderException.class,
            () -> EventChunk.forEach(Arrays.copyOf(whole, whole.length - 5), before::add));
    assertThat(truncated.getMessage(), containsString("truncated"));
    assertThat(before.size(), equalTo(2));

    byte[] unknownVersion = whole.clone();
    unknownVersion[firstEnd] = 9;
    CoderException version = assertThrows(CoderException.class, () -> read(unknownVersion));
    assertThat(version.getMessage(), containsString("unknown CollabEvent encoding version 9"));

    // The first event's field byte count (the byte after the version) made smaller than its fields
    // take, then larger than the chunk.
    byte[] shortCount = whole.clone();
    shortCount[1] = 0x7F;
    assertThat(
        whole[1] < 0, equalTo(true)); // the count takes two bytes: its first has the high bit
    assertThrows(CoderException.class, () -> read(shortCount));
    byte[] tooLong = Arrays.copyOf(whole, firstEnd);
    tooLong[2] = 0x7F;
    assertThrows(CoderException.class, () -> read(tooLong));
  }
}

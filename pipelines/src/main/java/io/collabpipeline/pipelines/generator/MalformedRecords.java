package io.collabpipeline.pipelines.generator;

import com.fasterxml.jackson.core.JsonGenerator;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The malformed deliveries: a valid event corrupted in exactly one way that maps to one {@link
 * ReasonCode}, the reason spread uniformly over {@link #reasons()}. The byte-level corruptions
 * (EMPTY_RECORD, NOT_UTF8, NOT_JSON, NOT_AN_OBJECT, TRAILING_DATA) are made here from the written
 * event; the clock ones (OCCURRED_IN_FUTURE, OCCURRED_TOO_LONG_AGO) are valid events written with
 * an {@code occurred_at} chosen here; the others are written into the JSON by {@link EventWriter}
 * and {@link PayloadWriter}, which this class asks for them. Thread-safe.
 */
final class MalformedRecords {

  /** Nesting depth of the TOO_DEEP corruption: beyond the validator's limit of 64. */
  static final int TOO_DEEP_NESTING = 80;

  /** Size of the TOO_LARGE corruption's extra field: beyond the 1 MiB limit. */
  static final int TOO_LARGE_BYTES = (1 << 20) + 4096;

  /**
   * How far after its arrival an OCCURRED_IN_FUTURE event occurred, at least: a day beyond the
   * validation's default bound (1 day), so it stays in the future when arrival is a broker's append
   * time rather than the synthetic clock.
   */
  static final long IN_FUTURE_MILLIS =
      Duration.ofDays(ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD_DAYS + 1).toMillis();

  /**
   * How far before its arrival an OCCURRED_TOO_LONG_AGO event occurred, at least: a day beyond the
   * 180-day bound.
   */
  static final long TOO_LONG_AGO_MILLIS =
      Duration.ofDays(ValidateEvents.DEFAULT_MAX_EVENT_AGE_DAYS + 1).toMillis();

  /** The clock-skew corruptions are spread over this long (one hour) beyond their minimum. */
  private static final long CLOCK_SKEW_SPREAD_MILLIS = 3_600_000L;

  /**
   * The corruptions of malformed deliveries, one reason code each (TOO_LARGE, OCCURRED_IN_FUTURE
   * and OCCURRED_TOO_LONG_AGO only when enabled, appended in that order).
   */
  private static final ReasonCode[] REASONS = {
    ReasonCode.EMPTY_RECORD,
    ReasonCode.NOT_UTF8,
    ReasonCode.NOT_JSON,
    ReasonCode.NOT_AN_OBJECT,
    ReasonCode.DUPLICATE_KEY,
    ReasonCode.TOO_DEEP,
    ReasonCode.TRAILING_DATA,
    ReasonCode.ENVELOPE_INVALID,
    ReasonCode.INVALID_TIMESTAMP,
    ReasonCode.UNKNOWN_EVENT_TYPE,
    ReasonCode.UNKNOWN_SCHEMA_VERSION,
    ReasonCode.PAYLOAD_INVALID,
  };

  /**
   * Invalid UTF-8 sequences for NOT_UTF8: a lone 0xFF, a bad continuation, a truncated sequence.
   */
  private static final byte[][] INVALID_UTF8 = {
    {(byte) 0xFF}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xE2, (byte) 0x82}
  };

  private static final byte[] TRACE_ID_MARKER =
      "\"trace_id\":\"".getBytes(StandardCharsets.US_ASCII);

  private final long seed;
  private final ReasonCode[] reasons;
  private final DeliveryTimes times;
  private final EventWriter events;

  MalformedRecords(WorkloadSpec spec, DeliveryTimes times, EventWriter events) {
    this.seed = spec.seed();
    List<ReasonCode> reasons = new ArrayList<>(Arrays.asList(REASONS));
    if (spec.tooLargeEnabled()) {
      reasons.add(ReasonCode.TOO_LARGE);
    }
    if (spec.clockSkewEnabled()) {
      reasons.add(ReasonCode.OCCURRED_IN_FUTURE);
      reasons.add(ReasonCode.OCCURRED_TOO_LONG_AGO);
    }
    this.reasons = reasons.toArray(new ReasonCode[0]);
    this.times = times;
    this.events = events;
  }

  /** The reason codes malformed deliveries are spread over (uniformly). */
  List<ReasonCode> reasons() {
    return Collections.unmodifiableList(Arrays.asList(reasons));
  }

  /**
   * Delivery {@code index} as a {@link Delivery.Kind#MALFORMED} one: its reason, then its corrupted
   * bytes.
   */
  Delivery delivery(long index) {
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, Salt.CORRUPTION));
    ReasonCode reason = rng.pick(reasons);
    GeneratedEvent corrupted = corrupt(index, reason, rng);
    return Delivery.create(
        index,
        corrupted.bytes(),
        times.arrivalMillis(index),
        Delivery.Kind.MALFORMED,
        reason,
        corrupted.eventId(),
        corrupted.eventType(),
        -1,
        corrupted.occurredAtMillis());
  }

  private GeneratedEvent corrupt(long index, ReasonCode reason, SplitMix rng) {
    switch (reason) {
      case EMPTY_RECORD:
        {
          byte[] blank = rng.chance(0.5) ? new byte[0] : new byte[] {' ', ' ', '\t'};
          return new GeneratedEvent(blank, null, null, times.occurredMillis(index));
        }
      case NOT_UTF8:
        {
          GeneratedEvent event = events.write(index, null);
          byte[] bad = INVALID_UTF8[rng.nextInt(INVALID_UTF8.length)];
          int at = indexAfter(event.bytes(), TRACE_ID_MARKER);
          return withBytes(event, insert(event.bytes(), at, bad));
        }
      case NOT_JSON:
        {
          GeneratedEvent event = events.write(index, null);
          byte[] bytes = event.bytes();
          int cut = 1 + rng.nextInt(bytes.length - 2);
          while ((bytes[cut] & 0xC0) == 0x80) {
            cut--; // never cut inside a multi-byte character: that would be NOT_UTF8
          }
          return withBytes(event, Arrays.copyOf(bytes, cut));
        }
      case NOT_AN_OBJECT:
        {
          GeneratedEvent event = events.write(index, null);
          byte[] bytes = event.bytes();
          byte[] array = new byte[bytes.length + 2];
          array[0] = '[';
          System.arraycopy(bytes, 0, array, 1, bytes.length);
          array[array.length - 1] = ']';
          return withBytes(event, array);
        }
      case TRAILING_DATA:
        {
          GeneratedEvent event = events.write(index, null);
          byte[] bytes = event.bytes();
          byte[] twice = new byte[bytes.length * 2 + 1];
          System.arraycopy(bytes, 0, twice, 0, bytes.length);
          twice[bytes.length] = ' ';
          System.arraycopy(bytes, 0, twice, bytes.length + 1, bytes.length);
          return withBytes(event, twice);
        }
      case OCCURRED_IN_FUTURE:
        {
          long skew = IN_FUTURE_MILLIS + rng.nextLong(CLOCK_SKEW_SPREAD_MILLIS);
          return events.write(index, null, times.arrivalMillis(index) + skew);
        }
      case OCCURRED_TOO_LONG_AGO:
        {
          long skew = TOO_LONG_AGO_MILLIS + rng.nextLong(CLOCK_SKEW_SPREAD_MILLIS);
          return events.write(index, null, times.arrivalMillis(index) - skew);
        }
      default:
        return events.write(index, reason);
    }
  }

  /**
   * Writes the extra payload field of a TOO_DEEP (nested arrays beyond the depth limit) or
   * TOO_LARGE (a string beyond the size limit) corruption; nothing for any other {@code corruption}
   * or none.
   */
  static void writeOversizedFields(JsonGenerator json, @Nullable ReasonCode corruption)
      throws IOException {
    if (corruption == ReasonCode.TOO_DEEP) {
      json.writeFieldName("x_layout_path");
      for (int i = 0; i < TOO_DEEP_NESTING; i++) {
        json.writeStartArray();
      }
      for (int i = 0; i < TOO_DEEP_NESTING; i++) {
        json.writeEndArray();
      }
    }
    if (corruption == ReasonCode.TOO_LARGE) {
      char[] filler = new char[TOO_LARGE_BYTES];
      for (int i = 0; i < filler.length; i++) {
        filler[i] = (char) ('a' + (i % 26));
      }
      json.writeStringField("x_attachment_preview", new String(filler));
    }
  }

  private static GeneratedEvent withBytes(GeneratedEvent event, byte[] bytes) {
    return new GeneratedEvent(bytes, event.eventId(), event.eventType(), event.occurredAtMillis());
  }

  /** The position just after the first occurrence of {@code needle}. */
  private static int indexAfter(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i + needle.length;
    }
    throw new IllegalStateException("marker not found in generated event");
  }

  private static byte[] insert(byte[] bytes, int at, byte[] extra) {
    byte[] result = new byte[bytes.length + extra.length];
    System.arraycopy(bytes, 0, result, 0, at);
    System.arraycopy(extra, 0, result, at, extra.length);
    System.arraycopy(bytes, at, result, at + extra.length, bytes.length - at);
    return result;
  }
}

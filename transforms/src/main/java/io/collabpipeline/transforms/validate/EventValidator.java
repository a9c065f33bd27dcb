package io.collabpipeline.transforms.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.schemas.FieldClassification;
import io.collabpipeline.schemas.ObjectClassification;
import io.collabpipeline.schemas.PrivacyClass;
import io.collabpipeline.schemas.SchemaError;
import io.collabpipeline.transforms.pii.PayloadMinimizer;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The per-record logic of {@link ValidateEvents}, free of Beam so it can be exercised directly:
 * parse once, validate, minimize, and return exactly one of an accepted event or a quarantine
 * record. Never throws on input.
 *
 * <p>Not thread-safe (it owns a {@link Pseudonymizer}); one instance per DoFn instance.
 */
final class EventValidator {
  private static final int MAX_ERRORS_IN_DETAIL = 5;

  /** What became of one record. Exactly one of {@link #event} and {@link #quarantined} is set. */
  static final class Outcome {
    final @Nullable CollabEvent event;
    final @Nullable QuarantineRecord quarantined;
    final int unknownFieldsDropped;

    private Outcome(
        @Nullable CollabEvent event,
        @Nullable QuarantineRecord quarantined,
        int unknownFieldsDropped) {
      this.event = event;
      this.quarantined = quarantined;
      this.unknownFieldsDropped = unknownFieldsDropped;
    }
  }

  private final EventSchemaRegistry registry;
  private final StrictJsonParser parser;
  private final Pseudonymizer pseudonymizer;
  private final PayloadMinimizer minimizer;
  private final long maxAheadMillis;
  private final long maxAgeMillis;

  /**
   * {@code maxAheadMillis} and {@code maxAgeMillis} bound {@code occurred_at} relative to each
   * record's own arrival time ({@link RawRecord#receivedAtMillis()}): at most that far after it, at
   * most that far before it. Both >= 0.
   */
  EventValidator(
      EventSchemaRegistry registry,
      Pseudonymizer pseudonymizer,
      int maxRecordBytes,
      int maxNestingDepth,
      long maxAheadMillis,
      long maxAgeMillis) {
    this.registry = registry;
    this.parser = new StrictJsonParser(maxRecordBytes, maxNestingDepth);
    this.pseudonymizer = pseudonymizer;
    this.minimizer = new PayloadMinimizer(pseudonymizer, parser.mapper());
    this.maxAheadMillis = maxAheadMillis;
    this.maxAgeMillis = maxAgeMillis;
  }

  Outcome validate(RawRecord record) {
    StrictJsonParser.Outcome parsed = parser.parse(record.payload());
    if (!parsed.isOk()) {
      return quarantine(record, parsed.reason, parsed.detail, null, null);
    }
    ObjectNode event = parsed.object;
    String eventId = readableEventId(event.get("event_id"));
    String eventType = readableEventType(event.get("event_type"));

    List<SchemaError> envelopeErrors = registry.validateEnvelope(event);
    if (!envelopeErrors.isEmpty()) {
      return quarantine(
          record, ReasonCode.ENVELOPE_INVALID, describe(envelopeErrors, ""), eventId, eventType);
    }
    long occurredAt = Rfc3339.parseEpochMillis(event.get("occurred_at").textValue());
    if (occurredAt == Rfc3339.INVALID) {
      return quarantine(
          record,
          ReasonCode.INVALID_TIMESTAMP,
          "/occurred_at: not an RFC 3339 date-time with an offset",
          eventId,
          eventType);
    }
    // Judged by the record's own arrival, never the wall clock: a replay or re-validation gives the
    // same answer.
    long arrival = record.receivedAtMillis();
    if (isMoreThan(occurredAt, arrival, maxAheadMillis)) {
      return quarantine(
          record,
          ReasonCode.OCCURRED_IN_FUTURE,
          "/occurred_at: "
              + span(occurredAt, arrival)
              + " after the record's arrival; at most "
              + bound(maxAheadMillis)
              + " after it is accepted",
          eventId,
          eventType);
    }
    if (isMoreThan(arrival, occurredAt, maxAgeMillis)) {
      return quarantine(
          record,
          ReasonCode.OCCURRED_TOO_LONG_AGO,
          "/occurred_at: "
              + span(arrival, occurredAt)
              + " before the record's arrival; at most "
              + bound(maxAgeMillis)
              + " before it is accepted",
          eventId,
          eventType);
    }
    String type = event.get("event_type").textValue();
    if (!registry.isRegistered(type)) {
      return quarantine(
          record,
          ReasonCode.UNKNOWN_EVENT_TYPE,
          "/event_type: not a registered event type",
          eventId,
          eventType);
    }
    JsonNode versionNode = event.get("schema_version");
    if (!versionNode.canConvertToInt() || !registry.isKnown(type, versionNode.intValue())) {
      return quarantine(
          record,
          ReasonCode.UNKNOWN_SCHEMA_VERSION,
          "/schema_version: not a known version of "
              + type
              + " (known: "
              + registry.versions(type)
              + ")",
          eventId,
          eventType);
    }
    int version = versionNode.intValue();
    JsonNode payload = event.get("payload");
    List<SchemaError> payloadErrors = registry.validatePayload(type, version, payload);
    if (!payloadErrors.isEmpty()) {
      return quarantine(
          record,
          ReasonCode.PAYLOAD_INVALID,
          describe(payloadErrors, "/payload"),
          eventId,
          eventType);
    }

    ObjectClassification classification = registry.payloadClassification(type, version);
    PayloadMinimizer.Result minimized = minimizer.minimize(payload, classification);
    JsonNode source = event.get("source");
    JsonNode resource = event.get("resource");
    CollabEvent accepted =
        CollabEvent.builder()
            .setEventId(event.get("event_id").textValue())
            .setEventType(type)
            .setSchemaVersion(version)
            .setOccurredAtMillis(occurredAt)
            .setReceivedAtMillis(record.receivedAtMillis())
            .setWorkspaceGid(event.get("workspace_gid").textValue())
            .setActorId(pseudonymizer.pseudonymize(event.get("actor").get("user_gid").textValue()))
            .setPlatform(source.get("platform").textValue())
            .setService(text(source.get("service")))
            .setAppVersion(text(source.get("app_version")))
            .setResourceType(resource.get("type").textValue())
            .setResourceGid(resource.get("gid").textValue())
            .setTaskGid(lift(payload, classification, "task_gid"))
            .setTriggerEventId(lift(payload, classification, "trigger_event_id"))
            .setTriggerEventType(lift(payload, classification, "trigger_event_type"))
            .setPayloadJson(minimized.json())
            .setSource(record.source())
            .build();
    return new Outcome(accepted, null, minimized.unknownFieldsDropped());
  }

  private static Outcome quarantine(
      RawRecord record,
      ReasonCode reason,
      String detail,
      @Nullable String eventId,
      @Nullable String eventType) {
    return new Outcome(null, QuarantineRecord.of(record, reason, detail, eventId, eventType), 0);
  }

  /** Whether {@code later - earlier > bound}, without overflow for any pair of longs. */
  static boolean isMoreThan(long later, long earlier, long bound) {
    return later > earlier && (later - earlier > bound || later - earlier < 0);
  }

  /**
   * {@code later - earlier}, a positive span, in days or hours with one decimal (never a value of
   * the record).
   */
  private static String span(long later, long earlier) {
    double hours = (later - (double) earlier) / 3_600_000.0;
    return hours >= 48
        ? String.format(Locale.ROOT, "%.1f days", hours / 24)
        : String.format(Locale.ROOT, "%.1f h", hours);
  }

  /**
   * A bound written like the command line's durations: {@code 1d}, {@code 36h}, {@code 90s}, {@code
   * 1500ms}.
   */
  static String bound(long millis) {
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (millis != 0 && millis % units[i] == 0) {
        return millis / units[i] + names[i];
      }
    }
    return millis + "ms";
  }

  /** A payload fact the metrics need, only if the schema declares it as non-personal. */
  private static @Nullable String lift(
      JsonNode payload, ObjectClassification classification, String field) {
    FieldClassification f = classification.field(field);
    if (f == null || f.privacyClass() != PrivacyClass.NONE) {
      return null;
    }
    return text(payload.get(field));
  }

  private static @Nullable String text(@Nullable JsonNode node) {
    return node != null && node.isTextual() ? node.textValue() : null;
  }

  private static String describe(List<SchemaError> errors, String prefix) {
    StringBuilder sb = new StringBuilder();
    int shown = Math.min(errors.size(), MAX_ERRORS_IN_DETAIL);
    for (int i = 0; i < shown; i++) {
      if (i > 0) {
        sb.append("; ");
      }
      sb.append(prefix.isEmpty() ? errors.get(i) : errors.get(i).under(prefix));
    }
    if (errors.size() > shown) {
      sb.append("; (+").append(errors.size() - shown).append(" more)");
    }
    return sb.toString();
  }

  /**
   * The event id for the quarantine record, only if it has the contract's form (so it is an id, not
   * content).
   */
  private static @Nullable String readableEventId(@Nullable JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    String s = node.textValue();
    if (s.length() < 8 || s.length() > 64) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-')) {
        return null;
      }
    }
    return s;
  }

  /**
   * The event type for the quarantine record, only if it looks like a type name (lowercase, dots,
   * underscores).
   */
  private static @Nullable String readableEventType(@Nullable JsonNode node) {
    if (node == null || !node.isTextual()) {
      return null;
    }
    String s = node.textValue();
    if (s.isEmpty() || s.length() > 64) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) {
        return null;
      }
    }
    return s;
  }
}

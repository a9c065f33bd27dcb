package io.collabpipeline.transforms.validate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import io.collabpipeline.transforms.pii.MinimizedEvents;
import io.collabpipeline.transforms.pii.PayloadMinimizer;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The per-record logic of {@link ValidateEvents}, free of Beam so it can be exercised directly:
 * parse once, validate, minimize, and return exactly one of an accepted event or a quarantine
 * record. Never throws on input. The ingestion edge (the collector, the producer library) runs the
 * same validator before Kafka, so an event is judged and minimized by one piece of code wherever it
 * enters.
 *
 * <p>An event {@linkplain MinimizedEvents minimized at the edge} (it carries the marker) is not
 * minimized again: it is checked to hold nothing minimization would remove and to have been
 * minimized with this validator's pseudonym key, and becomes the same {@link CollabEvent} as the
 * full event it was made from. Events without the marker (older producers) are minimized here.
 *
 * <p>Not thread-safe (it owns a {@link Pseudonymizer}); one instance per DoFn instance or thread.
 */
public final class EventValidator {
  private static final int MAX_ERRORS_IN_DETAIL = 5;

  /** The resource type whose gid is a user id: pseudonymized like the actor. */
  static final String USER_RESOURCE = "user";

  /** What became of one record. Exactly one of {@link #event} and {@link #quarantined} is set. */
  public static final class Outcome {
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

    /** The accepted, minimized event, or null if the record was quarantined. */
    public @Nullable CollabEvent event() {
      return event;
    }

    /** The quarantine record (original bytes, reason, detail), or null if accepted. */
    public @Nullable QuarantineRecord quarantined() {
      return quarantined;
    }

    /** How many properties the schema does not declare were dropped. */
    public int unknownFieldsDropped() {
      return unknownFieldsDropped;
    }
  }

  private final EventSchemaRegistry registry;
  private final StrictJsonParser parser;
  private final Pseudonymizer pseudonymizer;
  private final PayloadMinimizer minimizer;
  private final long maxAheadMillis;
  private final long maxAgeMillis;
  private final String keyId;

  /**
   * {@code maxAheadMillis} and {@code maxAgeMillis} bound {@code occurred_at} relative to each
   * record's own arrival time ({@link RawRecord#receivedAtMillis()}): at most that far after it, at
   * most that far before it. Both >= 0.
   */
  public EventValidator(
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
    this.keyId = MinimizedEvents.keyId(pseudonymizer);
  }

  /** The fingerprint of this validator's pseudonym key, as written in minimized events. */
  public String keyId() {
    return keyId;
  }

  /**
   * The strict parse of {@link #validate} alone (the benchmark's breakdown): the object, or null if
   * the record would be quarantined by the parse.
   */
  public @Nullable ObjectNode parseOnly(byte[] payload) {
    StrictJsonParser.Outcome parsed = parser.parse(payload);
    return parsed.isOk() ? parsed.object : null;
  }

  /** Parses, validates and minimizes one record: exactly one of an event or a quarantine record. */
  public Outcome validate(RawRecord record) {
    StrictJsonParser.Outcome parsed = parser.parse(record.payload());
    if (!parsed.isOk()) {
      return quarantine(record, parsed.reason, parsed.detail, null, null);
    }
    ObjectNode event = parsed.object;
    String eventId = readableEventId(event.get("event_id"));
    String eventType = readableEventType(event.get("event_type"));
    boolean minimized = event.has(MinimizedEvents.MARKER_FIELD);

    String formProblem = minimized ? minimizedFormProblem(event) : null;
    if (formProblem != null) {
      return quarantine(record, ReasonCode.ENVELOPE_INVALID, formProblem, eventId, eventType);
    }
    List<SchemaError> envelopeErrors =
        registry.validateEnvelope(minimized ? withPlaceholderActor(event) : event);
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
    ObjectClassification classification = registry.payloadClassification(type, version);
    String payloadJson;
    String actorId;
    int unknownFieldsDropped;
    if (minimized) {
      // Validated against its full schema at the edge; here only what must not be in it is
      // checked.
      List<String> problems = MinimizedEvents.payloadProblems(payload, classification);
      if (!problems.isEmpty()) {
        return quarantine(
            record,
            ReasonCode.PAYLOAD_INVALID,
            "minimized event: "
                + String.join("; ", problems.subList(0, Math.min(5, problems.size()))),
            eventId,
            eventType);
      }
      payloadJson = canonical(payload);
      actorId = event.get("actor").get("user_gid").textValue();
      unknownFieldsDropped = 0;
    } else {
      List<SchemaError> payloadErrors = registry.validatePayload(type, version, payload);
      if (!payloadErrors.isEmpty()) {
        return quarantine(
            record,
            ReasonCode.PAYLOAD_INVALID,
            describe(payloadErrors, "/payload"),
            eventId,
            eventType);
      }
      PayloadMinimizer.Result result = minimizer.minimize(payload, classification);
      payloadJson = result.json();
      actorId = pseudonymizer.pseudonymize(event.get("actor").get("user_gid").textValue());
      unknownFieldsDropped = result.unknownFieldsDropped();
    }
    JsonNode source = event.get("source");
    JsonNode resource = event.get("resource");
    String resourceType = resource.get("type").textValue();
    String resourceGid = resource.get("gid").textValue();
    if (USER_RESOURCE.equals(resourceType) && !minimized) {
      // A resource that is a user (user.erasure_requested) is a user id like any other.
      resourceGid = pseudonymizer.pseudonymize(resourceGid);
    }
    CollabEvent accepted =
        CollabEvent.builder()
            .setEventId(event.get("event_id").textValue())
            .setEventType(type)
            .setSchemaVersion(version)
            .setOccurredAtMillis(occurredAt)
            .setReceivedAtMillis(record.receivedAtMillis())
            .setWorkspaceGid(event.get("workspace_gid").textValue())
            .setActorId(actorId)
            .setPlatform(source.get("platform").textValue())
            .setService(text(source.get("service")))
            .setAppVersion(text(source.get("app_version")))
            .setResourceType(resourceType)
            .setResourceGid(resourceGid)
            .setTaskGid(lift(payload, classification, "task_gid"))
            .setTriggerEventId(lift(payload, classification, "trigger_event_id"))
            .setTriggerEventType(lift(payload, classification, "trigger_event_type"))
            .setPayloadJson(payloadJson)
            .setSource(record.source())
            .build();
    return new Outcome(accepted, null, unknownFieldsDropped);
  }

  /**
   * Why a marked event is not in the minimized form of this pipeline (a one-line detail without
   * values), or null. The schema checks follow in {@link #validate}.
   */
  private @Nullable String minimizedFormProblem(ObjectNode event) {
    JsonNode marker = event.get(MinimizedEvents.MARKER_FIELD);
    if (!marker.isObject()
        || !marker.path("version").isInt()
        || marker.path("version").intValue() != MinimizedEvents.FORM_VERSION) {
      return "/" + MinimizedEvents.MARKER_FIELD + ": not a known minimized form (version 1)";
    }
    if (!keyId.equals(marker.path("key_id").textValue())) {
      return "/"
          + MinimizedEvents.MARKER_FIELD
          + "/key_id: minimized with another pseudonym key than this pipeline's";
    }
    for (Iterator<String> it = event.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!MinimizedEvents.ENVELOPE_FIELDS.contains(name)) {
        return "/" + name + ": not allowed in a minimized event";
      }
    }
    JsonNode actor = event.get("actor");
    if (actor == null
        || !actor.isObject()
        || actor.size() != 1
        || !actor.path("user_gid").isTextual()
        || !MinimizedEvents.isPseudonym(actor.get("user_gid").textValue())) {
      return "/actor: a minimized event's actor holds only user_gid, a pseudonym";
    }
    JsonNode resource = event.get("resource");
    if (resource != null
        && USER_RESOURCE.equals(resource.path("type").textValue())
        && !(resource.path("gid").isTextual()
            && MinimizedEvents.isPseudonym(resource.get("gid").textValue()))) {
      return "/resource/gid: a minimized event's user resource is a pseudonym";
    }
    String extra = extraField(event.get("source"), MinimizedEvents.SOURCE_FIELDS);
    if (extra == null) {
      extra = extraField(event.get("resource"), MinimizedEvents.RESOURCE_FIELDS);
    }
    return extra == null ? null : extra + ": not allowed in a minimized event";
  }

  private static @Nullable String extraField(@Nullable JsonNode object, Set<String> allowed) {
    if (object == null || !object.isObject()) {
      return null; // the envelope schema reports it
    }
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        return "/" + name;
      }
    }
    return null;
  }

  /**
   * A shallow copy whose actor's user_gid (and a user resource's gid) is a placeholder of the
   * envelope's form, so the envelope schema checks everything else of a minimized event (its
   * pseudonyms were checked already).
   */
  private static ObjectNode withPlaceholderActor(ObjectNode event) {
    ObjectNode copy = event.objectNode();
    copy.setAll(event);
    copy.set("actor", event.objectNode().put("user_gid", "0"));
    JsonNode resource = event.get("resource");
    if (resource != null
        && resource.isObject()
        && USER_RESOURCE.equals(resource.path("type").textValue())) {
      ObjectNode r = ((ObjectNode) resource).deepCopy();
      r.put("gid", "0");
      copy.set("resource", r);
    }
    return copy;
  }

  /** The payload as the minimizer writes it: keys sorted at every level, no white space. */
  private String canonical(JsonNode payload) {
    try {
      return parser.mapper().writeValueAsString(sorted(payload));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a minimized payload", e);
    }
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      node.fields().forEachRemaining(e -> fields.put(e.getKey(), sorted(e.getValue())));
      ObjectNode out = ((ObjectNode) node).objectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = ((ArrayNode) node).arrayNode(node.size());
      node.forEach(item -> out.add(sorted(item)));
      return out;
    }
    return node;
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

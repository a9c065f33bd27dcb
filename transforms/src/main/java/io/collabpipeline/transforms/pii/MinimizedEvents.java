package io.collabpipeline.transforms.pii;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.schemas.DerivedFact;
import io.collabpipeline.schemas.FieldClassification;
import io.collabpipeline.schemas.ObjectClassification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The minimized wire form of an event: what the ingestion edge (the collector, the backend producer
 * library) writes to the raw Kafka topic instead of the event the client sent, so no PII reaches
 * Kafka. It is the envelope of contract 1 holding exactly what the pipeline keeps of an event
 * ({@link CollabEvent}): user ids already replaced by their pseudonyms, the payload already
 * minimized by {@link PayloadMinimizer}, no {@code context}, no actor email or name, no field the
 * schema does not declare; and a marker object
 *
 * <pre>{@code "minimization": {"version": 1, "key_id": "k_…"}}</pre>
 *
 * <p>The pipeline ({@code EventValidator}) recognizes the marker and does not minimize such an
 * event again (pseudonymizing a pseudonym would change it): it checks that the event holds nothing
 * minimization would remove ({@link #payloadProblems}), that it was minimized with the same
 * pseudonym key ({@code key_id}, a fingerprint that reveals nothing about the key), and then builds
 * the same {@link CollabEvent} a full event gives. Events without the marker (older producers) are
 * minimized by the pipeline as before.
 */
public final class MinimizedEvents {
  /** The top-level field that marks an event as minimized at the edge. */
  public static final String MARKER_FIELD = "minimization";

  /** The version of this wire form, in the marker. */
  public static final int FORM_VERSION = 1;

  /** The envelope's top-level fields a minimized event may hold. */
  public static final Set<String> ENVELOPE_FIELDS =
      Set.of(
          "event_id",
          "event_type",
          "schema_version",
          "occurred_at",
          "workspace_gid",
          "actor",
          "source",
          "resource",
          "payload",
          MARKER_FIELD);

  /** Fields of {@code source} a minimized event may hold. */
  public static final Set<String> SOURCE_FIELDS = Set.of("platform", "service", "app_version");

  /** Fields of {@code resource} a minimized event may hold. */
  public static final Set<String> RESOURCE_FIELDS = Set.of("type", "gid");

  private static final String KEY_ID_INPUT = "collab-pipeline/pseudonym-key-id/v1";
  private static final JsonFactory JSON = new JsonFactory();

  private MinimizedEvents() {}

  /**
   * A fingerprint of the pseudonym key: {@code k_} and 16 hex characters of its keyed hash of a
   * fixed text. Equal keys give equal ids; it tells nothing about the key or any pseudonym.
   */
  public static String keyId(Pseudonymizer pseudonymizer) {
    // Per-user pseudonyms get another id than global-key ones under the same key: the two never
    // agree.
    String hash =
        pseudonymizer.index(pseudonymizer.perUser() ? KEY_ID_INPUT + "/per-user" : KEY_ID_INPUT);
    return "k_" + hash.substring(Pseudonymizer.USER_PREFIX.length(), 16 + 2);
  }

  /** Whether {@code s} has the form of a user pseudonym ({@code u_} and 32 lowercase hex). */
  public static boolean isPseudonym(String s) {
    if (s.length() != Pseudonymizer.USER_PREFIX.length() + 32
        || !s.startsWith(Pseudonymizer.USER_PREFIX)) {
      return false;
    }
    for (int i = Pseudonymizer.USER_PREFIX.length(); i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The minimized wire form of an accepted event, UTF-8 JSON. {@code occurred_at} is written as the
   * UTC instant of {@link CollabEvent#occurredAtMillis()} (what the pipeline keeps of it); the
   * payload is {@link CollabEvent#payloadJson()} verbatim.
   */
  public static byte[] toJson(CollabEvent event, String keyId) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + event.payloadJson().length());
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeStringField("event_id", event.eventId());
      g.writeStringField("event_type", event.eventType());
      g.writeNumberField("schema_version", event.schemaVersion());
      g.writeStringField("occurred_at", Instant.ofEpochMilli(event.occurredAtMillis()).toString());
      g.writeStringField("workspace_gid", event.workspaceGid());
      g.writeObjectFieldStart("actor");
      g.writeStringField("user_gid", event.actorId());
      g.writeEndObject();
      g.writeObjectFieldStart("source");
      g.writeStringField("platform", event.platform());
      if (event.service() != null) {
        g.writeStringField("service", event.service());
      }
      if (event.appVersion() != null) {
        g.writeStringField("app_version", event.appVersion());
      }
      g.writeEndObject();
      g.writeObjectFieldStart("resource");
      g.writeStringField("type", event.resourceType());
      g.writeStringField("gid", event.resourceGid());
      g.writeEndObject();
      g.writeFieldName("payload");
      g.writeRawValue(event.payloadJson());
      g.writeObjectFieldStart(MARKER_FIELD);
      g.writeNumberField("version", FORM_VERSION);
      g.writeStringField("key_id", keyId);
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a minimized event", e);
    }
    return bytes.toByteArray();
  }

  /**
   * What in a minimized payload is not what {@link PayloadMinimizer} writes for {@code
   * classification}: a field the schema does not declare, a direct-PII or free-text field, an
   * identifier that is not a pseudonym, a derived fact that is not a count. Each problem is a JSON
   * pointer under {@code /payload} and what is wrong, never a value. Empty: nothing to minimize.
   */
  public static List<String> payloadProblems(JsonNode payload, ObjectClassification c) {
    List<String> problems = new ArrayList<>();
    if (payload == null || !payload.isObject()) {
      problems.add("/payload: not an object");
      return problems;
    }
    checkObject(payload, c, "/payload", problems);
    return problems;
  }

  private static void checkObject(
      JsonNode object, ObjectClassification c, String at, List<String> problems) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode value = e.getValue();
      String path = at + "/" + name;
      FieldClassification field = c.field(name);
      if (field == null) {
        if (!isDerivedFact(name, c, value)) {
          problems.add(path + ": not a declared field or derived fact of the schema");
        }
        continue;
      }
      switch (field.privacyClass()) {
        case NONE:
          checkKept(value, field, path, problems);
          break;
        case IDENTIFIER:
          if (!isPseudonymized(value)) {
            problems.add(path + ": an identifier that is not a pseudonym");
          }
          break;
        default:
          problems.add(path + ": " + field.privacyClass() + " must not be in a minimized event");
      }
    }
  }

  private static void checkKept(
      JsonNode value, FieldClassification field, String path, List<String> problems) {
    ObjectClassification nested =
        field.nested() == null ? ObjectClassification.empty() : field.nested();
    if (value.isObject()) {
      checkObject(value, nested, path, problems);
    } else if (value.isArray()) {
      int i = 0;
      for (JsonNode item : value) {
        if (item.isObject()) {
          checkObject(item, nested, path + "/" + i, problems);
        } else if (item.isArray()) {
          problems.add(path + "/" + i + ": a nested array");
        }
        i++;
      }
    }
  }

  private static boolean isPseudonymized(JsonNode value) {
    if (value.isNull()) {
      return true;
    }
    if (value.isTextual()) {
      return isPseudonym(value.textValue());
    }
    if (value.isArray()) {
      for (JsonNode item : value) {
        if (!item.isTextual() || !isPseudonym(item.textValue())) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /** {@code <field>_<fact>} of a declared field that derives that fact, with a count as value. */
  private static boolean isDerivedFact(String name, ObjectClassification c, JsonNode value) {
    if (!value.canConvertToLong() || !value.isIntegralNumber() || value.longValue() < 0) {
      return false;
    }
    for (DerivedFact fact : DerivedFact.values()) {
      String suffix = fact.outputName("");
      if (name.endsWith(suffix) && name.length() > suffix.length()) {
        FieldClassification source = c.field(name.substring(0, name.length() - suffix.length()));
        if (source != null && source.derivedFacts().contains(fact)) {
          return true;
        }
      }
    }
    return false;
  }
}

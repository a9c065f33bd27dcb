package io.collabpipeline.pipelines.generator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.ReasonCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The event contract of /work/notes/contract.md and contract 1 of the brief, written out
 * independently of the generator, as a test oracle: {@link #reasonFor(byte[], long)} is the reason
 * code a record deserves, given when it arrived, or null if it is a valid event.
 */
final class ContractCheck {

  static final int MAX_BYTES = 1 << 20;
  static final int MAX_DEPTH = 64;

  /** occurred_at may be at most one day after the record's arrival; exactly one day is accepted. */
  static final long MAX_AHEAD_MILLIS = 24L * 60 * 60 * 1000;

  /**
   * occurred_at may be at most 180 days before the record's arrival; exactly 180 days is accepted.
   */
  static final long MAX_AGE_MILLIS = 180L * 24 * 60 * 60 * 1000;

  private static final Pattern EVENT_ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,20}");
  private static final Pattern RFC3339 =
      Pattern.compile(
          "\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})");

  private static final JsonFactory STRICT =
      JsonFactory.builder()
          .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final List<String> PLATFORMS = Arrays.asList("web", "ios", "android", "backend");
  private static final List<String> RESOURCE_TYPES =
      Arrays.asList("task", "project", "comment", "notification", "workspace", "user");

  private ContractCheck() {}

  /**
   * The reason code {@code bytes} deserve when they arrived at {@code receivedAtMillis} (epoch
   * millis; the clock bounds on occurred_at are judged against it), or null for a valid event.
   */
  static ReasonCode reasonFor(byte[] bytes, long receivedAtMillis) {
    if (new String(bytes, StandardCharsets.ISO_8859_1).trim().isEmpty()) {
      return ReasonCode.EMPTY_RECORD;
    }
    if (bytes.length > MAX_BYTES) {
      return ReasonCode.TOO_LARGE;
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
    } catch (CharacterCodingException e) {
      return ReasonCode.NOT_UTF8;
    }
    ReasonCode structural = structure(bytes);
    if (structural != null) {
      return structural;
    }
    JsonNode event;
    try {
      event = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new AssertionError("parsed by the streaming check but not by the tree", e);
    }
    return semantics(event, receivedAtMillis);
  }

  private static ReasonCode structure(byte[] bytes) {
    try (JsonParser parser = STRICT.createParser(bytes)) {
      JsonToken first = parser.nextToken();
      int depth = 0;
      JsonToken token = first;
      while (token != null) {
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
          if (++depth > MAX_DEPTH) {
            return ReasonCode.TOO_DEEP;
          }
        } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
          depth--;
        }
        if (depth == 0) {
          break;
        }
        token = parser.nextToken();
      }
      if (token == null) {
        return ReasonCode.NOT_JSON;
      }
      if (parser.nextToken() != null) {
        return ReasonCode.TRAILING_DATA;
      }
      return first == JsonToken.START_OBJECT ? null : ReasonCode.NOT_AN_OBJECT;
    } catch (JsonParseException e) {
      return e.getMessage().contains("Duplicate field")
          ? ReasonCode.DUPLICATE_KEY
          : ReasonCode.NOT_JSON;
    } catch (IOException e) {
      return ReasonCode.NOT_JSON;
    }
  }

  private static ReasonCode semantics(JsonNode e, long receivedAtMillis) {
    JsonNode type = e.get("event_type");
    if (type == null || !type.isTextual()) {
      return ReasonCode.ENVELOPE_INVALID;
    }
    if (!WorkloadGenerator.EVENT_TYPES.contains(type.asText())) {
      return ReasonCode.UNKNOWN_EVENT_TYPE;
    }
    JsonNode occurred = e.get("occurred_at");
    if (occurred == null || !occurred.isTextual()) {
      return ReasonCode.ENVELOPE_INVALID;
    }
    if (!isTimestamp(occurred.asText())) {
      return ReasonCode.INVALID_TIMESTAMP;
    }
    if (!text(e, "event_id", EVENT_ID)
        || !e.path("schema_version").isIntegralNumber()
        || e.path("schema_version").asLong() < 1
        || !text(e, "workspace_gid", DIGITS)
        || !e.path("actor").isObject()
        || !text(e.get("actor"), "user_gid", DIGITS)
        || !optionalText(e.get("actor"), "email")
        || !optionalText(e.get("actor"), "name")
        || !e.path("source").isObject()
        || !PLATFORMS.contains(e.get("source").path("platform").asText(null))
        || !e.get("source").path("platform").isTextual()
        || !optionalText(e.get("source"), "service")
        || !optionalText(e.get("source"), "app_version")
        || !e.path("resource").isObject()
        || !e.get("resource").path("type").isTextual()
        || !RESOURCE_TYPES.contains(e.get("resource").get("type").asText())
        || !text(e.get("resource"), "gid", DIGITS)
        || !e.path("payload").isObject()
        || (e.has("context") && !contextValid(e.get("context")))) {
      return ReasonCode.ENVELOPE_INVALID;
    }
    // Millisecond precision, fractions beyond it truncated (the instant's epoch millis) as the
    // validator does.
    long occurredAt =
        OffsetDateTime.parse(occurred.asText().toUpperCase(Locale.ROOT)).toInstant().toEpochMilli();
    if (occurredAt > receivedAtMillis && occurredAt - receivedAtMillis > MAX_AHEAD_MILLIS) {
      return ReasonCode.OCCURRED_IN_FUTURE;
    }
    if (receivedAtMillis > occurredAt && receivedAtMillis - occurredAt > MAX_AGE_MILLIS) {
      return ReasonCode.OCCURRED_TOO_LONG_AGO;
    }
    String t = type.asText();
    int version = e.get("schema_version").asInt();
    if (!(version == 1 || (version == 2 && t.equals("task.updated")))) {
      return ReasonCode.UNKNOWN_SCHEMA_VERSION;
    }
    return payloadValid(t, e.get("payload")) ? null : ReasonCode.PAYLOAD_INVALID;
  }

  static boolean isTimestamp(String s) {
    if (!RFC3339.matcher(s).matches()) {
      return false;
    }
    try {
      OffsetDateTime.parse(s.toUpperCase(Locale.ROOT));
      return true;
    } catch (DateTimeParseException ex) {
      return false;
    }
  }

  private static boolean contextValid(JsonNode context) {
    return context.isObject()
        && optionalText(context, "ip")
        && optionalText(context, "user_agent")
        && optionalText(context, "session_id");
  }

  private static boolean payloadValid(String type, JsonNode p) {
    switch (type) {
      case "task.created":
        return task(p)
            && optionalText(p, "name")
            && (!p.has("assignee_gid") || text(p, "assignee_gid", DIGITS))
            && (!p.has("due_on") || isDate(p.get("due_on")));
      case "task.updated":
        return task(p)
            && stringArray(p.get("changed_fields"), null)
            && (!p.has("custom_field_gids") || stringArray(p.get("custom_field_gids"), DIGITS));
      case "task.completed":
      case "task.deleted":
        return task(p);
      case "comment.added":
      case "comment.edited":
        return text(p, "task_gid", DIGITS)
            && p.path("text").isTextual()
            && stringArray(p.get("mentioned_user_gids"), DIGITS);
      case "comment.deleted":
        return text(p, "task_gid", DIGITS);
      case "project.member_added":
      case "project.member_removed":
        return text(p, "project_gid", DIGITS)
            && text(p, "member_user_gid", DIGITS)
            && Arrays.asList("owner", "editor", "commenter", "viewer")
                .contains(p.path("role").asText(""))
            && p.path("role").isTextual();
      case "notification.sent":
        return text(p, "recipient_user_gid", DIGITS)
            && Arrays.asList("inbox", "email", "push").contains(p.path("channel").asText(""))
            && p.path("channel").isTextual()
            && text(p, "trigger_event_id", EVENT_ID)
            && p.path("trigger_event_type").isTextual()
            && WorkloadGenerator.EVENT_TYPES.contains(p.get("trigger_event_type").asText());
      case "workspace.user_joined":
      case "workspace.user_left":
        return text(p, "user_gid", DIGITS);
      case "user.erasure_requested":
        return text(p, "user_gid", DIGITS)
            && p.path("requested_at").isTextual()
            && isTimestamp(p.get("requested_at").asText());
      default:
        return false;
    }
  }

  private static boolean task(JsonNode p) {
    return text(p, "task_gid", DIGITS) && stringArray(p.get("project_gids"), DIGITS);
  }

  private static boolean isDate(JsonNode node) {
    if (!node.isTextual() || !node.asText().matches("\\d{4}-\\d{2}-\\d{2}")) {
      return false;
    }
    try {
      LocalDate.parse(node.asText());
      return true;
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  private static boolean text(JsonNode parent, String field, Pattern pattern) {
    JsonNode node = parent == null ? null : parent.get(field);
    return node != null && node.isTextual() && pattern.matcher(node.asText()).matches();
  }

  private static boolean optionalText(JsonNode parent, String field) {
    return !parent.has(field) || parent.get(field).isTextual();
  }

  private static boolean stringArray(JsonNode node, Pattern items) {
    if (node == null || !node.isArray()) {
      return false;
    }
    for (JsonNode item : node) {
      if (!item.isTextual() || (items != null && !items.matcher(item.asText()).matches())) {
        return false;
      }
    }
    return true;
  }
}

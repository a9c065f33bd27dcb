package io.collabpipeline.pipelines.stores;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The quarantine's line format: one JSON object per record with {@code reason}, {@code detail},
 * {@code event_id}, {@code event_type}, {@code source {kind, name, partition, offset}}, {@code
 * received_at} (RFC 3339, UTC, millisecond precision) and {@code original_base64} (the original
 * bytes exactly as received, so records that are not even valid UTF-8 survive the round trip). The
 * one place that format is written and parsed, for {@link QuarantineIO}.
 */
final class QuarantineJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final DateTimeFormatter RFC3339_UTC_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private QuarantineJson() {}

  /** The record as one line of JSON, without a line terminator. */
  static String toJsonLine(QuarantineRecord q) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("reason", q.reason().code());
    o.put("detail", q.detail());
    putNullable(o, "event_id", q.eventId());
    putNullable(o, "event_type", q.eventType());
    SourceRef s = q.original().source();
    ObjectNode source = o.putObject("source");
    source.put("kind", s.kind().code());
    source.put("name", s.name());
    source.put("partition", s.partition());
    source.put("offset", s.offset());
    o.put(
        "received_at",
        RFC3339_UTC_MILLIS.format(Instant.ofEpochMilli(q.original().receivedAtMillis())));
    o.put("original_base64", Base64.getEncoder().encodeToString(q.original().payload()));
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a quarantine record", e);
    }
  }

  /**
   * Parses one line written by {@link #toJsonLine}. The error message names the field at fault,
   * never the payload.
   */
  static QuarantineRecord fromJsonLine(String line) {
    JsonNode o;
    try {
      o = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      // The parser's message may quote the line, which carries the payload: say only where it
      // failed.
      throw new IllegalArgumentException(
          "quarantine line is not valid JSON (column " + e.getLocation().getColumnNr() + ")");
    }
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("quarantine line is not a JSON object");
    }
    JsonNode source = required(o, "source");
    RawRecord original =
        RawRecord.of(
            Base64.getDecoder().decode(required(o, "original_base64").asText()),
            SourceRef.of(
                SourceRef.Kind.fromCode(required(source, "kind").asText()),
                required(source, "name").asText(),
                required(source, "partition").asInt(),
                required(source, "offset").asLong()),
            Instant.parse(required(o, "received_at").asText()).toEpochMilli());
    return QuarantineRecord.of(
        original,
        ReasonCode.valueOf(required(o, "reason").asText()),
        required(o, "detail").asText(),
        nullable(o, "event_id"),
        nullable(o, "event_type"));
  }

  private static void putNullable(ObjectNode o, String field, @Nullable String value) {
    if (value == null) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }

  private static JsonNode required(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("quarantine line has no '" + field + "'");
    }
    return v;
  }

  private static @Nullable String nullable(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}

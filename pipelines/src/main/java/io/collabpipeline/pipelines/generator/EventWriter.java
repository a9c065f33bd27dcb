package io.collabpipeline.pipelines.generator;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.collabpipeline.model.EventType;
import io.collabpipeline.model.ReasonCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes the event of a delivery as the JSON a client sends: the envelope of contract 1 (with the
 * PII real clients send: emails, names, IP addresses, user agents, session ids), the resource and
 * payload by {@link PayloadWriter}, and the bulk of unknown extra fields real clients add, about
 * 1.5 KB in all.
 *
 * <p>Everything random in an event is drawn from one stream seeded by (seed, index), in the order
 * the fields are written; so the same spec and index always give the same bytes. The corruptions
 * that must be written into the JSON (ENVELOPE_INVALID, INVALID_TIMESTAMP, DUPLICATE_KEY,
 * UNKNOWN_EVENT_TYPE, UNKNOWN_SCHEMA_VERSION here; TOO_DEEP, TOO_LARGE and PAYLOAD_INVALID in the
 * payload) are written here on request of {@link MalformedRecords}, which also asks for valid
 * events with a wrong {@code occurred_at} (OCCURRED_IN_FUTURE, OCCURRED_TOO_LONG_AGO). Thread-safe.
 */
final class EventWriter {

  private static final JsonFactory JSON = new JsonFactory();

  private static final DateTimeFormatter OFFSET_TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
  private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME;
  private static final ZoneOffset[] CLIENT_OFFSETS = {
    ZoneOffset.ofHours(1),
    ZoneOffset.ofHours(-5),
    ZoneOffset.ofHoursMinutes(5, 30),
    ZoneOffset.ofHours(9)
  };

  private final WorkloadSpec spec;
  private final long seed;
  private final DeliveryPlan plan;
  private final DeliveryTimes times;
  private final Population population;
  private final PayloadWriter payloads;

  EventWriter(WorkloadSpec spec, DeliveryPlan plan, DeliveryTimes times, Population population) {
    this.spec = spec;
    this.seed = spec.seed();
    this.plan = plan;
    this.times = times;
    this.population = population;
    this.payloads = new PayloadWriter(seed, plan, population);
  }

  /**
   * The event of delivery {@code index}; {@code corruption} is null for a valid event, or one of
   * the reasons that are produced while writing (ENVELOPE_INVALID, INVALID_TIMESTAMP,
   * DUPLICATE_KEY, TOO_DEEP, TOO_LARGE, UNKNOWN_*, PAYLOAD_INVALID).
   */
  GeneratedEvent write(long index, @Nullable ReasonCode corruption) {
    return write(index, corruption, times.occurredMillis(index));
  }

  /**
   * As {@link #write(long, ReasonCode)}, but the event occurred at {@code occurred} (epoch millis)
   * instead of its delivery's arrival minus its delay: for the clock-skew corruptions, which are
   * otherwise valid events.
   */
  GeneratedEvent write(long index, @Nullable ReasonCode corruption, long occurred) {
    EventType type = plan.type(index);
    long trigger = -1;
    if (type == EventType.NOTIFICATION_SENT) {
      trigger = plan.trigger(index);
      if (trigger < 0) {
        type = EventType.TASK_UPDATED; // too early in the workload for a trigger
      }
    }
    // A notification belongs to its trigger's workspace, and its actor is the trigger's (never its
    // recipient).
    int workspace = trigger >= 0 ? population.workspaceOf(trigger) : population.workspaceOf(index);
    int actor =
        trigger >= 0
            ? population.actorOf(trigger, workspace)
            : population.actorOf(index, workspace);
    String platform = plan.platform(index, type);
    String eventId = plan.eventId(index, platform);
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, Salt.BODY));
    String eventType = type.wireName();
    if (corruption == ReasonCode.UNKNOWN_EVENT_TYPE) {
      eventType = rng.pick(Vocabulary.UNKNOWN_TYPES);
    }

    int capacity =
        corruption == ReasonCode.TOO_LARGE ? MalformedRecords.TOO_LARGE_BYTES + 4096 : 2048;
    ByteArrayOutputStream out = new ByteArrayOutputStream(capacity);
    try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartObject();
      json.writeStringField("event_id", eventId);
      json.writeStringField("event_type", eventType);
      int version = 1;
      if (type == EventType.TASK_UPDATED && rng.chance(spec.v2Share())) {
        version = 2;
      }
      json.writeNumberField(
          "schema_version", corruption == ReasonCode.UNKNOWN_SCHEMA_VERSION ? 99 : version);
      json.writeStringField(
          "occurred_at",
          timestamp(occurred, platform, rng, corruption == ReasonCode.INVALID_TIMESTAMP));
      json.writeStringField("workspace_gid", population.workspaceGid(workspace));

      boolean missingUserGid = false;
      boolean badPlatform = false;
      if (corruption == ReasonCode.ENVELOPE_INVALID) {
        if (rng.chance(0.5)) {
          missingUserGid = true;
        } else {
          badPlatform = true;
        }
      }
      if (corruption == ReasonCode.DUPLICATE_KEY) {
        json.writeStringField("workspace_gid", population.workspaceGid(workspace));
      }
      writeActor(json, workspace, actor, missingUserGid);

      json.writeObjectFieldStart("source");
      json.writeStringField(
          "platform", badPlatform ? rng.pick(Vocabulary.BAD_PLATFORMS) : platform);
      json.writeStringField(
          "service", Vocabulary.service(platform, type == EventType.NOTIFICATION_SENT));
      json.writeStringField("app_version", appVersion(platform, rng));
      json.writeEndObject();

      EventDraft draft =
          new EventDraft(index, type, version, workspace, actor, trigger, occurred, corruption);
      payloads.writeResourceAndPayload(json, draft, rng);

      if (!"backend".equals(platform)) {
        json.writeObjectFieldStart("context");
        json.writeStringField("ip", population.ip(workspace, actor, rng));
        json.writeStringField("user_agent", userAgent(platform, rng));
        json.writeStringField("session_id", population.sessionId(workspace, actor, occurred));
        json.writeEndObject();
      }
      writeExtras(json, index, platform, occurred, rng, workspace);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write generated event " + index, e);
    }
    return new GeneratedEvent(out.toByteArray(), eventId, eventType, occurred);
  }

  private static String timestamp(
      long epochMillis, String platform, SplitMix rng, boolean withoutOffset) {
    Instant instant = Instant.ofEpochMilli(epochMillis);
    if (withoutOffset) {
      return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(LOCAL_TIME);
    }
    if ("ios".equals(platform) && rng.chance(0.25)) {
      // Some mobile clients send local time with its offset: still RFC 3339, still the same
      // instant.
      return OffsetDateTime.ofInstant(instant, rng.pick(CLIENT_OFFSETS)).format(OFFSET_TIME);
    }
    return instant.toString();
  }

  private void writeActor(JsonGenerator json, int workspace, int user, boolean missingUserGid)
      throws IOException {
    json.writeObjectFieldStart("actor");
    if (!missingUserGid) {
      json.writeStringField("user_gid", population.userGid(workspace, user));
    }
    json.writeStringField("email", population.email(workspace, user));
    json.writeStringField("name", population.name(workspace, user));
    json.writeEndObject();
  }

  /**
   * The unknown fields real clients add (client, trace, request, delivery): forward compatibility
   * and bulk.
   */
  private void writeExtras(
      JsonGenerator json, long index, String platform, long occurred, SplitMix rng, int workspace)
      throws IOException {
    json.writeObjectFieldStart("client");
    json.writeStringField("locale", rng.pick(Vocabulary.LOCALES));
    json.writeStringField("timezone", rng.pick(Vocabulary.TIMEZONES));
    json.writeObjectFieldStart("sdk");
    json.writeStringField("name", Vocabulary.sdk(platform));
    json.writeStringField(
        "version", (1 + rng.nextInt(5)) + "." + rng.nextInt(30) + "." + rng.nextInt(10));
    json.writeEndObject();
    if (!"backend".equals(platform)) {
      json.writeStringField(
          "page_url",
          "https://app.asana.com/0/"
              + population.workspaceGid(workspace)
              + "/"
              + rng.pick(Vocabulary.VIEWS)
              + "/"
              + Ids.gid(rng.nextLong())
              + "?focus=true");
      json.writeObjectFieldStart("device");
      json.writeStringField("model", rng.pick(Vocabulary.DEVICES));
      json.writeStringField("screen", rng.pick(Vocabulary.SCREENS));
      json.writeNumberField("memory_gb", 4 << rng.nextInt(4));
      json.writeEndObject();
    }
    json.writeArrayFieldStart("feature_flags");
    int flags = 6 + rng.nextInt(11);
    int first = rng.nextInt(Vocabulary.FEATURE_FLAGS.length);
    for (int i = 0; i < flags; i++) {
      json.writeString(Vocabulary.FEATURE_FLAGS[(first + i * 3) % Vocabulary.FEATURE_FLAGS.length]);
    }
    json.writeEndArray();
    json.writeEndObject();

    json.writeObjectFieldStart("trace");
    String traceHigh = Ids.hex(SplitMix.hash(seed, index, Salt.TRACE_ID_HIGH));
    json.writeStringField(
        "trace_id", traceHigh + Ids.hex(SplitMix.hash(seed, index, Salt.TRACE_ID_LOW)));
    json.writeStringField("span_id", Ids.hex(SplitMix.hash(seed, index, Salt.SPAN_ID)));
    json.writeStringField(
        "parent_span_id", Ids.hex(SplitMix.hash(seed, index, Salt.PARENT_SPAN_ID)));
    json.writeStringField("sampled", rng.chance(0.1) ? "true" : "false");
    json.writeEndObject();

    json.writeObjectFieldStart("request");
    json.writeStringField(
        "request_id",
        Ids.uuid(
            SplitMix.hash(seed, index, Salt.REQUEST_ID_HIGH),
            SplitMix.hash(seed, index, Salt.REQUEST_ID_LOW)));
    json.writeStringField("edge_pop", rng.pick(Vocabulary.EDGE_POPS));
    json.writeStringField("protocol", rng.chance(0.8) ? "h2" : "http/1.1");
    json.writeEndObject();

    json.writeObjectFieldStart("delivery");
    json.writeNumberField("attempt", 1);
    json.writeStringField(
        "client_sent_at", Instant.ofEpochMilli(occurred + rng.nextLong(800)).toString());
    json.writeStringField("queue", "events-" + (workspace % 16));
    json.writeEndObject();
  }

  private static String appVersion(String platform, SplitMix rng) {
    switch (platform) {
      case "ios":
        return "7."
            + (38 + rng.nextInt(6))
            + "."
            + rng.nextInt(4)
            + " (2026"
            + (1000 + rng.nextInt(130))
            + ")";
      case "android":
        return "7." + (38 + rng.nextInt(6)) + "." + rng.nextInt(4) + "-release";
      case "backend":
        return "srv-2026.11." + rng.nextInt(30) + "-" + Long.toHexString(rng.nextLong() >>> 36);
      default:
        return "web-2026.11." + rng.nextInt(30);
    }
  }

  private static String userAgent(String platform, SplitMix rng) {
    switch (platform) {
      case "ios":
        return rng.pick(Vocabulary.IOS_AGENTS);
      case "android":
        return rng.pick(Vocabulary.ANDROID_AGENTS);
      default:
        return rng.pick(Vocabulary.WEB_AGENTS);
    }
  }
}

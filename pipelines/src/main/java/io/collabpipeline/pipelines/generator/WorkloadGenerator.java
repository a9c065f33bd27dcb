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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A deterministic, Asana-like synthetic workload: delivery {@code i} is computed from (seed, i) alone, so any index can
 * be produced independently, in any order and in parallel, and the same spec always gives the same bytes.
 *
 * <p>The mix: many {@code task.updated} and {@code notification.sent}, fewer comments, few membership, workspace and
 * erasure events. A {@code notification.sent} refers to a real, earlier, valid trigger event of the same workspace (its
 * event id and type), and several notifications share a trigger (fan-out). Workspaces are Zipf-sized; events carry the
 * bulk of real clients (user agents, emails, names, session ids, comment text, unknown extra fields), about 1.5 KB
 * each. Delivery {@code i} arrives at {@code start + i / syntheticRate}; a normal event occurred 0–5 s before, a late
 * one minutes before (up to {@code maxLateness}), a too-late one hours before.
 *
 * <p>A {@link Delivery.Kind#DUPLICATE} repeats the bytes of an earlier {@link Delivery.Kind#ORIGINAL} (never of a
 * malformed record); a {@link Delivery.Kind#MALFORMED} delivery is a valid event corrupted in one way that maps to one
 * {@link ReasonCode}. Thread-safe.
 */
public final class WorkloadGenerator {

  /** The wire names of the 13 registered event types of contract 1, in {@link EventType}'s order. */
  public static final List<String> EVENT_TYPES =
      Collections.unmodifiableList(
          Arrays.stream(EventType.values()).map(EventType::wireName).collect(Collectors.toList()));

  /** The corruptions of malformed deliveries, one reason code each (TOO_LARGE only when enabled). */
  private static final ReasonCode[] MALFORMED_REASONS = {
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

  /** Nesting depth of the TOO_DEEP corruption: beyond the validator's limit of 64. */
  static final int TOO_DEEP_NESTING = 80;

  /** Size of the TOO_LARGE corruption's extra field: beyond the 1 MiB limit. */
  static final int TOO_LARGE_BYTES = (1 << 20) + 4096;

  /** Notifications are grouped in blocks of this many deliveries; a block's notifications share 1-3 triggers. */
  private static final int FANOUT_BLOCK = 24;

  private static final int MAX_SCAN = 64;

  private static final long SALT_KIND = 1;
  private static final long SALT_TYPE = 2;
  private static final long SALT_RETRY = 3;
  private static final long SALT_WORKSPACE = 4;
  private static final long SALT_ACTOR = 5;
  private static final long SALT_ID = 6;
  private static final long SALT_DELAY = 7;
  private static final long SALT_BODY = 8;
  private static final long SALT_BLOCK = 9;
  private static final long SALT_TRIGGER = 10;
  private static final long SALT_CORRUPTION = 11;
  private static final long SALT_PLATFORM = 12;
  private static final long SALT_GID = 13;

  private static final JsonFactory JSON = new JsonFactory();

  private static final DateTimeFormatter OFFSET_TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
  private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME;
  private static final ZoneOffset[] CLIENT_OFFSETS = {
    ZoneOffset.ofHours(1), ZoneOffset.ofHours(-5), ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHours(9)
  };

  private final WorkloadSpec spec;
  private final long seed;
  private final long startMillis;
  private final double[] workspaceCdf;
  private final int[] workspaceUsers;
  private final String[] workspaceGids;
  private final String[] workspaceDomains;
  private final ReasonCode[] malformedReasons;

  public WorkloadGenerator(WorkloadSpec spec) {
    spec.validate();
    this.spec = spec;
    this.seed = spec.seed();
    this.startMillis = spec.start().toEpochMilli();

    int n = spec.workspaces();
    double[] weights = new double[n];
    double total = 0;
    for (int w = 0; w < n; w++) {
      weights[w] = 1.0 / Math.pow(w + 1, 1.1);
      total += weights[w];
    }
    this.workspaceCdf = Cdf.of(weights);
    this.workspaceUsers = new int[n];
    this.workspaceGids = new String[n];
    this.workspaceDomains = new String[n];
    for (int w = 0; w < n; w++) {
      long users = Math.round(weights[w] / total * n * spec.usersPerWorkspace());
      workspaceUsers[w] = (int) Math.max(3, Math.min(users, 1_000_000));
      workspaceGids[w] = gid(SplitMix.hash(seed, w, SALT_GID));
      String company = Vocabulary.COMPANIES[w % Vocabulary.COMPANIES.length];
      workspaceDomains[w] = company + (w < Vocabulary.COMPANIES.length ? "" : "-" + w) + ".example.com";
    }
    List<ReasonCode> reasons = new ArrayList<>(Arrays.asList(MALFORMED_REASONS));
    if (spec.tooLargeEnabled()) {
      reasons.add(ReasonCode.TOO_LARGE);
    }
    this.malformedReasons = reasons.toArray(new ReasonCode[0]);
  }

  public WorkloadSpec spec() {
    return spec;
  }

  /** The reason codes malformed deliveries of this workload are spread over (uniformly). */
  public List<ReasonCode> malformedReasons() {
    return Collections.unmodifiableList(Arrays.asList(malformedReasons));
  }

  /** Arrival time of delivery {@code index} on the synthetic arrival clock, epoch millis; non-decreasing in index. */
  public long arrivalMillis(long index) {
    return arrivalMillis(startMillis, spec.syntheticRate(), index);
  }

  /** As {@link #arrivalMillis(long)}, for callers that hold only the spec's values (a timestamp function, say). */
  public static long arrivalMillis(long startMillis, double syntheticRate, long index) {
    return startMillis + (long) Math.floor(index * 1000.0 / syntheticRate);
  }

  /** Delivery {@code index} of the workload, computed from (seed, index) alone. */
  public Delivery delivery(long index) {
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    long arrival = arrivalMillis(index);
    int kind = primaryKind(index);
    if (kind == KIND_DUPLICATE) {
      long target = retryTarget(index);
      if (target >= 0) {
        Built original = build(target, null);
        return Delivery.create(
            index,
            original.bytes,
            arrival,
            Delivery.Kind.DUPLICATE,
            null,
            original.eventId,
            original.eventType,
            target,
            original.occurredAtMillis);
      }
      kind = KIND_ORIGINAL;
    }
    if (kind == KIND_MALFORMED) {
      SplitMix rng = new SplitMix(SplitMix.hash(seed, index, SALT_CORRUPTION));
      ReasonCode reason = rng.pick(malformedReasons);
      Built corrupted = corrupt(index, reason, rng);
      return Delivery.create(
          index,
          corrupted.bytes,
          arrival,
          Delivery.Kind.MALFORMED,
          reason,
          corrupted.eventId,
          corrupted.eventType,
          -1,
          corrupted.occurredAtMillis);
    }
    Built event = build(index, null);
    return Delivery.create(
        index,
        event.bytes,
        arrival,
        Delivery.Kind.ORIGINAL,
        null,
        event.eventId,
        event.eventType,
        -1,
        event.occurredAtMillis);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Choices that depend on the index alone (no recursion: a delivery's content looks at most one level back).

  private static final int KIND_ORIGINAL = 0;
  private static final int KIND_DUPLICATE = 1;
  private static final int KIND_MALFORMED = 2;

  private int primaryKind(long index) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, SALT_KIND));
    if (u < spec.duplicateShare()) {
      return index > 0 ? KIND_DUPLICATE : KIND_ORIGINAL;
    }
    return u < spec.duplicateShare() + spec.malformedShare() ? KIND_MALFORMED : KIND_ORIGINAL;
  }

  /** The earlier ORIGINAL a duplicate repeats, or -1 when there is none close enough (the delivery is then original). */
  private long retryTarget(long index) {
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, SALT_RETRY));
    long distance = 1 + rng.nextLong(Math.min((long) spec.maxRetryDistance(), index));
    for (long t = index - distance, steps = 0; t >= 0 && steps < MAX_SCAN; t--, steps++) {
      if (primaryKind(t) == KIND_ORIGINAL) {
        return t;
      }
    }
    return -1;
  }

  private EventType primaryType(long index) {
    return EventMix.draw(SplitMix.unit(SplitMix.hash(seed, index, SALT_TYPE)));
  }

  /**
   * The trigger of a notification at {@code index}: a valid, earlier event that can trigger notifications. The
   * notifications of one block share one of 1–3 triggers, which gives a realistic fan-out. -1 when there is none.
   */
  private long trigger(long index) {
    long block = index / FANOUT_BLOCK;
    int triggersInBlock = 1 + (int) ((SplitMix.hash(seed, block, SALT_BLOCK) >>> 1) % 3);
    int choice = (int) ((SplitMix.hash(seed, index, SALT_BLOCK) >>> 1) % triggersInBlock);
    long back = 1 + (SplitMix.hash(seed, block * 4 + choice, SALT_TRIGGER) >>> 1) % 300;
    for (long t = block * FANOUT_BLOCK - back, steps = 0; t >= 0 && steps < MAX_SCAN; t--, steps++) {
      if (primaryKind(t) == KIND_ORIGINAL && EventMix.profile(primaryType(t)).triggersNotifications()) {
        return t;
      }
    }
    return -1;
  }

  private int baseWorkspace(long index) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, SALT_WORKSPACE));
    int w = Arrays.binarySearch(workspaceCdf, u);
    return Math.min(w >= 0 ? w + 1 : -w - 1, workspaceCdf.length - 1);
  }

  /** Users are not equally active: a skewed pick over the workspace's users. */
  private int actor(long index, int workspace) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, SALT_ACTOR));
    return (int) (u * u * workspaceUsers[workspace]);
  }

  private String eventId(long index, String platform) {
    long h1 = SplitMix.hash(seed, index, SALT_ID);
    long h2 = SplitMix.hash(seed, index, SALT_ID + 100);
    switch (platform) {
      case "ios":
        return uuid(h1, h2).toUpperCase(Locale.ROOT);
      case "android":
        return uuid(h1, h2);
      case "backend":
        return "evt_" + Long.toHexString(h1 | Long.MIN_VALUE) + Long.toHexString(h2 | Long.MIN_VALUE).substring(0, 8);
      default:
        SplitMix rng = new SplitMix(h1 ^ h2);
        int length = 16 + rng.nextInt(17);
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
          id.append(Vocabulary.ID_ALPHABET.charAt(rng.nextInt(Vocabulary.ID_ALPHABET.length())));
        }
        return id.toString();
    }
  }

  private static String uuid(long h1, long h2) {
    long msb = (h1 & ~0xF000L) | 0x4000L;
    long lsb = (h2 & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  private String platform(long index, EventType type) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, SALT_PLATFORM));
    return EventMix.profile(type).clients().platform(u);
  }

  private long delayMillis(long index) {
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, SALT_DELAY));
    double u = rng.nextDouble();
    if (u < spec.tooLateShare()) {
      return spec.tooLateDelay().toMillis() + rng.nextLong(3_600_000L);
    }
    if (u < spec.tooLateShare() + spec.lateShare()) {
      long min = Math.min(60_000L, spec.maxLateness().toMillis() / 2);
      return min + rng.nextLong(spec.maxLateness().toMillis() - min + 1);
    }
    return rng.nextLong(5_001L);
  }

  private String userGid(int workspace, int user) {
    return gid(SplitMix.hash(seed ^ 0x5555L, (long) workspace << 32 | user, SALT_GID));
  }

  private String taskGid(int workspace, long task) {
    return gid(SplitMix.hash(seed ^ 0x7777L, (long) workspace << 40 | task, SALT_GID));
  }

  private String projectGid(int workspace, long project) {
    return gid(SplitMix.hash(seed ^ 0x9999L, (long) workspace << 40 | project, SALT_GID));
  }

  /** A 16-digit gid, like Asana's. */
  private static String gid(long hash) {
    return Long.toString(1_000_000_000_000_000L + (hash >>> 1) % 9_000_000_000_000_000L);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Building the JSON.

  /** An event as bytes, with what the ground truth needs to know about it. */
  private static final class Built {
    final byte[] bytes;
    final String eventId;
    final String eventType;
    final long occurredAtMillis;

    Built(byte[] bytes, String eventId, String eventType, long occurredAtMillis) {
      this.bytes = bytes;
      this.eventId = eventId;
      this.eventType = eventType;
      this.occurredAtMillis = occurredAtMillis;
    }
  }

  private Built corrupt(long index, ReasonCode reason, SplitMix rng) {
    switch (reason) {
      case EMPTY_RECORD:
        {
          byte[] blank = rng.chance(0.5) ? new byte[0] : new byte[] {' ', ' ', '\t'};
          return new Built(blank, null, null, arrivalMillis(index) - delayMillis(index));
        }
      case NOT_UTF8:
        {
          Built event = build(index, null);
          byte[][] invalid = {{(byte) 0xFF}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xE2, (byte) 0x82}};
          byte[] bad = invalid[rng.nextInt(invalid.length)];
          int at = indexOf(event.bytes, "\"trace_id\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          return new Built(insert(event.bytes, at, bad), event.eventId, event.eventType, event.occurredAtMillis);
        }
      case NOT_JSON:
        {
          Built event = build(index, null);
          int cut = 1 + rng.nextInt(event.bytes.length - 2);
          while ((event.bytes[cut] & 0xC0) == 0x80) {
            cut--; // never cut inside a multi-byte character: that would be NOT_UTF8
          }
          return new Built(Arrays.copyOf(event.bytes, cut), event.eventId, event.eventType, event.occurredAtMillis);
        }
      case NOT_AN_OBJECT:
        {
          Built event = build(index, null);
          byte[] array = new byte[event.bytes.length + 2];
          array[0] = '[';
          System.arraycopy(event.bytes, 0, array, 1, event.bytes.length);
          array[array.length - 1] = ']';
          return new Built(array, event.eventId, event.eventType, event.occurredAtMillis);
        }
      case TRAILING_DATA:
        {
          Built event = build(index, null);
          byte[] twice = new byte[event.bytes.length * 2 + 1];
          System.arraycopy(event.bytes, 0, twice, 0, event.bytes.length);
          twice[event.bytes.length] = ' ';
          System.arraycopy(event.bytes, 0, twice, event.bytes.length + 1, event.bytes.length);
          return new Built(twice, event.eventId, event.eventType, event.occurredAtMillis);
        }
      default:
        return build(index, reason);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
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

  /**
   * The event of delivery {@code index}; {@code corruption} is null for a valid event, or one of the reasons that are
   * produced while writing (ENVELOPE_INVALID, INVALID_TIMESTAMP, DUPLICATE_KEY, TOO_DEEP, TOO_LARGE, UNKNOWN_*,
   * PAYLOAD_INVALID).
   */
  private Built build(long index, ReasonCode corruption) {
    EventType type = primaryType(index);
    long trigger = -1;
    int workspace;
    if (type == EventType.NOTIFICATION_SENT) {
      trigger = trigger(index);
      if (trigger < 0) {
        type = EventType.TASK_UPDATED; // too early in the workload for a trigger
      }
    }
    workspace = trigger >= 0 ? baseWorkspace(trigger) : baseWorkspace(index);
    int actor = trigger >= 0 ? actor(trigger, workspace) : actor(index, workspace);
    String platform = platform(index, type);
    String eventId = eventId(index, platform);
    long arrival = arrivalMillis(index);
    long occurred = arrival - delayMillis(index);
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, SALT_BODY));
    String eventType = type.wireName();
    if (corruption == ReasonCode.UNKNOWN_EVENT_TYPE) {
      eventType = rng.pick(Vocabulary.UNKNOWN_TYPES);
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream(corruption == ReasonCode.TOO_LARGE ? TOO_LARGE_BYTES + 4096 : 2048);
    try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartObject();
      json.writeStringField("event_id", eventId);
      json.writeStringField("event_type", eventType);
      int version = 1;
      if (type == EventType.TASK_UPDATED && rng.chance(spec.v2Share())) {
        version = 2;
      }
      json.writeNumberField("schema_version", corruption == ReasonCode.UNKNOWN_SCHEMA_VERSION ? 99 : version);
      json.writeStringField("occurred_at", timestamp(occurred, platform, rng, corruption == ReasonCode.INVALID_TIMESTAMP));
      json.writeStringField("workspace_gid", workspaceGids[workspace]);

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
        json.writeStringField("workspace_gid", workspaceGids[workspace]);
      }
      writeActor(json, workspace, actor, missingUserGid);

      json.writeObjectFieldStart("source");
      json.writeStringField("platform", badPlatform ? rng.pick(Vocabulary.BAD_PLATFORMS) : platform);
      json.writeStringField("service", Vocabulary.service(platform, type == EventType.NOTIFICATION_SENT));
      json.writeStringField("app_version", appVersion(platform, rng));
      json.writeEndObject();

      writeResourceAndPayload(json, index, type, version, workspace, actor, trigger, occurred, rng, corruption);

      if (!"backend".equals(platform)) {
        json.writeObjectFieldStart("context");
        json.writeStringField("ip", ip(workspace, actor, rng));
        json.writeStringField("user_agent", userAgent(platform, rng));
        // One session per user and hour.
        long session = SplitMix.hash(seed, (long) workspace << 32 | actor, occurred / 3_600_000L);
        json.writeStringField("session_id", "sess_" + Long.toHexString(session));
        json.writeEndObject();
      }
      writeExtras(json, index, platform, occurred, rng, workspace);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write generated event " + index, e);
    }
    return new Built(out.toByteArray(), eventId, eventType, occurred);
  }

  private String timestamp(long epochMillis, String platform, SplitMix rng, boolean withoutOffset) {
    Instant instant = Instant.ofEpochMilli(epochMillis);
    if (withoutOffset) {
      return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).format(LOCAL_TIME);
    }
    if ("ios".equals(platform) && rng.chance(0.25)) {
      // Some mobile clients send local time with its offset: still RFC 3339, still the same instant.
      return OffsetDateTime.ofInstant(instant, rng.pick(CLIENT_OFFSETS)).format(OFFSET_TIME);
    }
    return instant.toString();
  }

  private void writeActor(JsonGenerator json, int workspace, int user, boolean missingUserGid) throws IOException {
    json.writeObjectFieldStart("actor");
    if (!missingUserGid) {
      json.writeStringField("user_gid", userGid(workspace, user));
    }
    json.writeStringField("email", email(workspace, user));
    json.writeStringField("name", name(workspace, user));
    json.writeEndObject();
  }

  private String name(int workspace, int user) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, SALT_ACTOR + 50);
    return Vocabulary.FIRST_NAMES[(int) ((h >>> 1) % Vocabulary.FIRST_NAMES.length)]
        + " "
        + Vocabulary.LAST_NAMES[(int) ((h >>> 20) % Vocabulary.LAST_NAMES.length)];
  }

  private String email(int workspace, int user) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, SALT_ACTOR + 50);
    return Vocabulary.FIRST_ASCII[(int) ((h >>> 1) % Vocabulary.FIRST_ASCII.length)]
        + "."
        + Vocabulary.LAST_ASCII[(int) ((h >>> 20) % Vocabulary.LAST_ASCII.length)]
        + (user % 7 == 0 ? Integer.toString(user) : "")
        + "@"
        + workspaceDomains[workspace];
  }

  private void writeResourceAndPayload(
      JsonGenerator json,
      long index,
      EventType type,
      int version,
      int workspace,
      int actor,
      long trigger,
      long occurred,
      SplitMix rng,
      ReasonCode corruption)
      throws IOException {
    boolean omitRequired = corruption == ReasonCode.PAYLOAD_INVALID;
    int users = workspaceUsers[workspace];
    long tasks = users * 12L;
    double t = rng.nextDouble();
    long task = (long) (t * t * t * tasks);
    long projects = Math.max(3, users / 6);
    long project = (SplitMix.hash(seed, (long) workspace << 40 | task, SALT_BODY) >>> 1) % projects;
    String taskGid = taskGid(workspace, task);

    String resourceType;
    String resourceGid;
    switch (type) {
      case COMMENT_ADDED:
      case COMMENT_EDITED:
      case COMMENT_DELETED:
        resourceType = "comment";
        resourceGid = gid(SplitMix.hash(seed, index, SALT_GID + 1));
        break;
      case PROJECT_MEMBER_ADDED:
      case PROJECT_MEMBER_REMOVED:
        resourceType = "project";
        resourceGid = projectGid(workspace, project);
        break;
      case NOTIFICATION_SENT:
        resourceType = "notification";
        resourceGid = gid(SplitMix.hash(seed, index, SALT_GID + 2));
        break;
      case WORKSPACE_USER_JOINED:
      case WORKSPACE_USER_LEFT:
        resourceType = "workspace";
        resourceGid = workspaceGids[workspace];
        break;
      case USER_ERASURE_REQUESTED:
        resourceType = "user";
        resourceGid = userGid(workspace, actor);
        break;
      default:
        resourceType = "task";
        resourceGid = taskGid;
    }
    json.writeObjectFieldStart("resource");
    json.writeStringField("type", resourceType);
    json.writeStringField("gid", resourceGid);
    json.writeEndObject();

    json.writeObjectFieldStart("payload");
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
    switch (type) {
      case TASK_CREATED:
        if (!omitRequired) {
          json.writeStringField("task_gid", taskGid);
        }
        writeGids(json, "project_gids", workspace, project, projects, rng);
        json.writeStringField("name", sentence(rng, 3, 9));
        if (rng.chance(0.7)) {
          json.writeStringField("assignee_gid", userGid(workspace, rng.nextInt(users)));
        }
        if (rng.chance(0.5)) {
          json.writeStringField(
              "due_on",
              LocalDateTime.ofInstant(Instant.ofEpochMilli(occurred), ZoneOffset.UTC)
                  .toLocalDate()
                  .plusDays(1 + rng.nextInt(30))
                  .toString());
        }
        json.writeStringField("x_section", rng.pick(Vocabulary.SECTIONS));
        break;
      case TASK_UPDATED:
        if (!omitRequired) {
          json.writeStringField("task_gid", taskGid);
        }
        writeGids(json, "project_gids", workspace, project, projects, rng);
        json.writeArrayFieldStart("changed_fields");
        int changed = 1 + rng.nextInt(3);
        int first = rng.nextInt(Vocabulary.TASK_FIELDS.length);
        for (int i = 0; i < changed; i++) {
          json.writeString(Vocabulary.TASK_FIELDS[(first + i) % Vocabulary.TASK_FIELDS.length]);
        }
        json.writeEndArray();
        if (version == 2 && rng.chance(0.8)) {
          json.writeArrayFieldStart("custom_field_gids");
          int fields = rng.nextInt(4);
          for (int i = 0; i < fields; i++) {
            json.writeString(gid(SplitMix.hash(seed, (long) workspace << 8 | rng.nextInt(40), SALT_GID + 3)));
          }
          json.writeEndArray();
        }
        break;
      case TASK_COMPLETED:
      case TASK_DELETED:
        if (!omitRequired) {
          json.writeStringField("task_gid", taskGid);
        }
        writeGids(json, "project_gids", workspace, project, projects, rng);
        break;
      case COMMENT_ADDED:
      case COMMENT_EDITED:
        if (!omitRequired) {
          json.writeStringField("task_gid", taskGid);
        }
        json.writeStringField("text", sentence(rng, 6, 70));
        json.writeArrayFieldStart("mentioned_user_gids");
        int mentions = rng.chance(0.6) ? 0 : 1 + rng.nextInt(3);
        for (int i = 0; i < mentions; i++) {
          json.writeString(userGid(workspace, rng.nextInt(users)));
        }
        json.writeEndArray();
        break;
      case COMMENT_DELETED:
        if (!omitRequired) {
          json.writeStringField("task_gid", taskGid);
        }
        break;
      case PROJECT_MEMBER_ADDED:
      case PROJECT_MEMBER_REMOVED:
        if (!omitRequired) {
          json.writeStringField("project_gid", projectGid(workspace, project));
        }
        json.writeStringField("member_user_gid", userGid(workspace, rng.nextInt(users)));
        json.writeStringField("role", rng.pick(Vocabulary.ROLES));
        break;
      case NOTIFICATION_SENT:
        {
          int recipient = rng.nextInt(users - 1);
          if (recipient >= actor) {
            recipient++; // nobody is notified of their own action
          }
          if (!omitRequired) {
            json.writeStringField("recipient_user_gid", userGid(workspace, recipient));
          }
          double c = rng.nextDouble();
          json.writeStringField("channel", c < 0.55 ? "inbox" : c < 0.8 ? "email" : "push");
          EventType triggerType = primaryType(trigger);
          json.writeStringField("trigger_event_id", eventId(trigger, platform(trigger, triggerType)));
          json.writeStringField("trigger_event_type", triggerType.wireName());
          json.writeStringField(
              "x_template", "notif_" + triggerType.wireName().replace('.', '_') + "_v" + (3 + rng.nextInt(4)));
          json.writeStringField("x_preview", sentence(rng, 10, 30));
          break;
        }
      case WORKSPACE_USER_JOINED:
      case WORKSPACE_USER_LEFT:
        if (!omitRequired) {
          json.writeStringField("user_gid", userGid(workspace, rng.nextInt(users)));
        }
        json.writeStringField("x_invite_source", rng.pick(Vocabulary.INVITE_SOURCES));
        break;
      case USER_ERASURE_REQUESTED:
        if (!omitRequired) {
          json.writeStringField("user_gid", userGid(workspace, actor));
        }
        json.writeStringField("requested_at", Instant.ofEpochMilli(occurred - rng.nextLong(86_400_000L)).toString());
        break;
      default:
        throw new IllegalStateException("no payload for type " + type);
    }
    json.writeEndObject();
  }

  private void writeGids(JsonGenerator json, String field, int workspace, long project, long projects, SplitMix rng)
      throws IOException {
    json.writeArrayFieldStart(field);
    json.writeString(projectGid(workspace, project));
    if (rng.chance(0.2)) {
      json.writeString(projectGid(workspace, (project + 1 + rng.nextLong(projects - 1)) % projects));
    }
    json.writeEndArray();
  }

  private void writeExtras(JsonGenerator json, long index, String platform, long occurred, SplitMix rng, int workspace)
      throws IOException {
    json.writeObjectFieldStart("client");
    json.writeStringField("locale", rng.pick(Vocabulary.LOCALES));
    json.writeStringField("timezone", rng.pick(Vocabulary.TIMEZONES));
    json.writeObjectFieldStart("sdk");
    json.writeStringField("name", Vocabulary.sdk(platform));
    json.writeStringField("version", (1 + rng.nextInt(5)) + "." + rng.nextInt(30) + "." + rng.nextInt(10));
    json.writeEndObject();
    if (!"backend".equals(platform)) {
      json.writeStringField(
          "page_url",
          "https://app.asana.com/0/" + workspaceGids[workspace] + "/" + rng.pick(Vocabulary.VIEWS) + "/"
              + gid(rng.nextLong()) + "?focus=true");
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
    json.writeStringField("trace_id", hex(SplitMix.hash(seed, index, 901)) + hex(SplitMix.hash(seed, index, 902)));
    json.writeStringField("span_id", hex(SplitMix.hash(seed, index, 903)));
    json.writeStringField("parent_span_id", hex(SplitMix.hash(seed, index, 904)));
    json.writeStringField("sampled", rng.chance(0.1) ? "true" : "false");
    json.writeEndObject();

    json.writeObjectFieldStart("request");
    json.writeStringField("request_id", uuid(SplitMix.hash(seed, index, 905), SplitMix.hash(seed, index, 906)));
    json.writeStringField("edge_pop", rng.pick(Vocabulary.EDGE_POPS));
    json.writeStringField("protocol", rng.chance(0.8) ? "h2" : "http/1.1");
    json.writeEndObject();

    json.writeObjectFieldStart("delivery");
    json.writeNumberField("attempt", 1);
    json.writeStringField("client_sent_at", Instant.ofEpochMilli(occurred + rng.nextLong(800)).toString());
    json.writeStringField("queue", "events-" + (workspace % 16));
    json.writeEndObject();
  }

  private static String hex(long value) {
    String s = Long.toHexString(value);
    return "0000000000000000".substring(s.length()) + s;
  }

  private String appVersion(String platform, SplitMix rng) {
    switch (platform) {
      case "ios":
        return "7." + (38 + rng.nextInt(6)) + "." + rng.nextInt(4) + " (2026" + (1000 + rng.nextInt(130)) + ")";
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

  private String ip(int workspace, int user, SplitMix rng) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, SALT_ACTOR + 60);
    if (rng.chance(0.15)) {
      return String.format(
          Locale.ROOT, "2001:db8:%x:%x::%x", (h >>> 48) & 0xFFFF, (h >>> 32) & 0xFFFF, (h >>> 16) & 0xFFFF);
    }
    return (10 + (h & 0x7F)) + "." + ((h >>> 8) & 0xFF) + "." + ((h >>> 16) & 0xFF) + "." + (1 + ((h >>> 24) & 0xFD));
  }

  private static String sentence(SplitMix rng, int minWords, int maxWords) {
    int words = minWords + rng.nextInt(maxWords - minWords + 1);
    StringBuilder text = new StringBuilder(words * 7);
    for (int i = 0; i < words; i++) {
      String word = rng.pick(Vocabulary.WORDS);
      if (i == 0) {
        text.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
      } else {
        text.append(' ').append(word);
      }
      if (i < words - 1 && rng.chance(0.08)) {
        text.append(',');
      }
    }
    return text.append(rng.chance(0.85) ? "." : rng.chance(0.5) ? "?" : " \uD83D\uDC4D").toString();
  }
}

package io.collabpipeline.transforms.validate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The per-record logic without a runner: one example of every registered type is accepted, and a
 * volume sanity run (no timing assertion) shows one validator instance handles many records with no
 * per-record setup.
 */
@RunWith(JUnit4.class)
public class EventValidatorTest {
  private static final String EMAIL = "zed.private@example.org";
  private static final String TEXT = "private words";

  /** A valid payload for every registered type at its latest version. */
  static Map<String, String> payloads() {
    Map<String, String> p = new LinkedHashMap<>();
    String task = "\"task_gid\":\"70\",\"project_gids\":[\"30\",\"31\"]";
    p.put(
        "task.created",
        "{"
            + task
            + ",\"name\":\""
            + TEXT
            + "\",\"assignee_gid\":\"900\",\"due_on\":\"2026-12-01\"}");
    p.put(
        "task.updated",
        "{" + task + ",\"changed_fields\":[\"due_on\"],\"custom_field_gids\":[\"5\"]}");
    p.put("task.completed", "{" + task + "}");
    p.put("task.deleted", "{" + task + "}");
    p.put(
        "comment.added",
        "{\"task_gid\":\"70\",\"text\":\"" + TEXT + "\",\"mentioned_user_gids\":[]}");
    p.put(
        "comment.edited",
        "{\"task_gid\":\"70\",\"text\":\"" + TEXT + "\",\"mentioned_user_gids\":[\"901\"]}");
    p.put("comment.deleted", "{\"task_gid\":\"70\"}");
    p.put(
        "project.member_added",
        "{\"project_gid\":\"30\",\"member_user_gid\":\"902\",\"role\":\"editor\"}");
    p.put(
        "project.member_removed",
        "{\"project_gid\":\"30\",\"member_user_gid\":\"902\",\"role\":\"viewer\"}");
    p.put(
        "notification.sent",
        "{\"recipient_user_gid\":\"903\",\"channel\":\"inbox\",\"trigger_event_id\":\"evt-abcdefgh\","
            + "\"trigger_event_type\":\"comment.added\"}");
    p.put("workspace.user_joined", "{\"user_gid\":\"904\"}");
    p.put("workspace.user_left", "{\"user_gid\":\"904\"}");
    p.put(
        "user.erasure_requested",
        "{\"user_gid\":\"904\",\"requested_at\":\"2026-11-02T08:00:00-05:00\"}");
    return p;
  }

  static String event(String id, String type, int version, String payload) {
    return "{\"event_id\":\""
        + id
        + "\",\"event_type\":\""
        + type
        + "\",\"schema_version\":"
        + version
        + ",\"occurred_at\":\"2026-11-02T08:00:01.123Z\",\"workspace_gid\":\"100\","
        + "\"actor\":{\"user_gid\":\"42\",\"email\":\""
        + EMAIL
        + "\"},\"source\":{\"platform\":\"web\"},"
        + "\"resource\":{\"type\":\"task\",\"gid\":\"70\"},\"payload\":"
        + payload
        + ",\"context\":{\"ip\":\"198.51.100.9\"}}";
  }

  /**
   * When the records of {@link #event} arrive: one second after they occurred (within the default
   * clock bounds).
   */
  private static final long ARRIVAL = Instant.parse("2026-11-02T08:00:02.123Z").toEpochMilli();

  private static EventValidator validator() {
    return new EventValidator(
        EventSchemaRegistry.loadDefault(),
        new Pseudonymizer(KeyReference.dev().resolve()),
        1 << 20,
        64,
        ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
        ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis());
  }

  private static RawRecord raw(String json, long n) {
    return RawRecord.of(
        json.getBytes(StandardCharsets.UTF_8), SourceRef.generator("test", 0, n), ARRIVAL + n);
  }

  @Test
  public void anExampleOfEveryRegisteredTypeIsAccepted() {
    EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
    Map<String, String> payloads = payloads();
    assertThat(new TreeSet<>(payloads.keySet()), equalTo(registry.eventTypes()));
    EventValidator v = validator();
    long n = 0;
    for (Map.Entry<String, String> e : payloads.entrySet()) {
      int version = registry.versions(e.getKey()).last();
      EventValidator.Outcome o =
          v.validate(raw(event("evt_" + (10_000_000 + n), e.getKey(), version, e.getValue()), n++));
      assertThat(
          e.getKey() + ": " + (o.quarantined == null ? "" : o.quarantined.detail()),
          o.event,
          notNullValue());
      CollabEvent ev = o.event;
      assertThat(ev.toString(), not(containsString(EMAIL)));
      assertThat(ev.toString(), not(containsString(TEXT)));
      assertThat(ev.toString(), not(containsString("198.51.100.9")));
      for (String userGid : new String[] {"\"900\"", "\"901\"", "\"902\"", "\"903\"", "\"904\""}) {
        assertThat(ev.payloadJson(), not(containsString(userGid)));
      }
    }
  }

  /**
   * A user as the resource (user.erasure_requested: resource {type user, gid = the user's id}) is a
   * user id: it leaves as the user's pseudonym (the oracle is javax.crypto's HMAC-SHA256 under the
   * dev key, not the Pseudonymizer), and an edge-minimized event whose user resource still holds a
   * raw id is refused.
   */
  @Test
  public void aUserResourceIsPseudonymizedAndAMinimizedOneMustBeAPseudonym() throws Exception {
    String full =
        event(
                "evt_20000001",
                "user.erasure_requested",
                1,
                "{\"user_gid\":\"904\",\"requested_at\":\"2026-11-02T08:00:00Z\"}")
            .replace(
                "\"resource\":{\"type\":\"task\",\"gid\":\"70\"}",
                "\"resource\":{\"type\":\"user\",\"gid\":\"904\"}");
    EventValidator v = validator();
    EventValidator.Outcome o = v.validate(raw(full, 0));
    assertThat(o.quarantined == null ? "" : o.quarantined.detail(), o.event, notNullValue());
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(KeyReference.dev().resolve(), "HmacSHA256"));
    byte[] digest = mac.doFinal("904".getBytes(StandardCharsets.UTF_8));
    StringBuilder want = new StringBuilder("u_");
    for (int i = 0; i < 16; i++) {
      want.append(String.format("%02x", digest[i] & 0xff));
    }
    assertThat(o.event.resourceType(), equalTo("user"));
    assertThat(o.event.resourceGid(), equalTo(want.toString()));

    String keyId =
        io.collabpipeline.transforms.pii.MinimizedEvents.keyId(
            new Pseudonymizer(KeyReference.dev().resolve()));
    String minimized =
        new String(
            io.collabpipeline.transforms.pii.MinimizedEvents.toJson(o.event, keyId),
            StandardCharsets.UTF_8);
    EventValidator.Outcome again = v.validate(raw(minimized, 1));
    assertThat(
        again.quarantined == null ? "" : again.quarantined.detail(), again.event, notNullValue());
    assertThat(again.event.resourceGid(), equalTo(want.toString()));
    EventValidator.Outcome leaky = v.validate(raw(minimized.replace(want.toString(), "904"), 2));
    assertThat(leaky.event == null, equalTo(true));
    assertThat(leaky.quarantined.detail(), containsString("/resource/gid"));
  }

  @Test
  public void clockBoundsCompareWithoutOverflowAndNameBoundsLikeTheCommandLine() {
    assertThat(
        EventValidator.isMoreThan(Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE), equalTo(true));
    assertThat(EventValidator.isMoreThan(Long.MIN_VALUE, Long.MAX_VALUE, 0), equalTo(false));
    assertThat(EventValidator.isMoreThan(10, 5, 5), equalTo(false));
    assertThat(EventValidator.isMoreThan(11, 5, 5), equalTo(true));
    assertThat(EventValidator.bound(86_400_000L * 180), equalTo("180d"));
    assertThat(EventValidator.bound(3_600_000L * 36), equalTo("36h"));
    assertThat(EventValidator.bound(90_000L), equalTo("90s"));
    assertThat(EventValidator.bound(1_500L), equalTo("1500ms"));
    assertThat(EventValidator.bound(0L), equalTo("0ms"));
  }

  /**
   * Many records through one instance; prints the rate for the curious, asserts only the outcomes.
   */
  @Test
  public void volumeSanityEveryRecordHasExactlyOneOutcome() {
    EventValidator v = validator();
    String[] types = payloads().keySet().toArray(new String[0]);
    String[] bodies = payloads().values().toArray(new String[0]);
    int total = 20_000;
    Map<ReasonCode, Integer> quarantined = new EnumMap<>(ReasonCode.class);
    int accepted = 0;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      int t = i % types.length;
      String json =
          i % 10 == 9 ? "{\"event_id\":" : event("evt_" + (10_000_000 + i), types[t], 1, bodies[t]);
      EventValidator.Outcome o = v.validate(raw(json, i));
      if (o.event != null) {
        accepted++;
      } else {
        quarantined.merge(o.quarantined.reason(), 1, Integer::sum);
      }
    }
    long nanos = System.nanoTime() - start;
    System.out.printf(
        "EventValidator: %d records in %d ms (%.0f records/s, one thread)%n",
        total, nanos / 1_000_000, total / (nanos / 1e9));
    // task.updated v1 bodies here carry custom_field_gids, an unknown field in v1: tolerated, not
    // fatal.
    assertThat(accepted, equalTo(total - total / 10));
    assertThat(quarantined, equalTo(Map.of(ReasonCode.NOT_JSON, total / 10)));
  }
}

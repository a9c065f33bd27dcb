package io.collabpipeline.transforms.validate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.Counters;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * ValidateEvents on the DirectRunner: every reason code, PII minimization, pseudonyms, timestamps
 * and counters.
 */
@RunWith(JUnit4.class)
public class ValidateEventsTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long ARRIVAL = 1_762_070_500_000L; // 2025-11-02T08:01:40Z

  // PII planted in the inputs; none of it may appear in any accepted output.
  private static final String EMAIL = "ann.secret@example.com";
  private static final String NAME = "Ann Secretname";
  private static final String IP = "203.0.113.77";
  private static final String USER_AGENT = "SecretAgent/9.9 (X11)";
  private static final String SESSION = "sess-secret-123";
  private static final String COMMENT = "call me on my private number";
  private static final String UNKNOWN_PII = "+1-555-0100-secret";
  private static final String ACTOR_GID = "4242424242";

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder tmp = new TemporaryFolder();

  private static ObjectNode event(String id, String type, int version, String payloadJson)
      throws Exception {
    return (ObjectNode)
        MAPPER.readTree(
            "{\"event_id\":\""
                + id
                + "\",\"event_type\":\""
                + type
                + "\",\"schema_version\":"
                + version
                + ","
                + "\"occurred_at\":\"2025-11-02T09:00:01.123+01:00\",\"workspace_gid\":\"100\","
                + "\"actor\":{\"user_gid\":\""
                + ACTOR_GID
                + "\",\"email\":\""
                + EMAIL
                + "\",\"name\":\""
                + NAME
                + "\"},\"source\":{\"platform\":\"ios\",\"service\":\"mobile\",\"app_version\":\"5.1\"},"
                + "\"resource\":{\"type\":\"task\",\"gid\":\"7\"},\"payload\":"
                + payloadJson
                + ","
                + "\"context\":{\"ip\":\""
                + IP
                + "\",\"user_agent\":\""
                + USER_AGENT
                + "\",\"session_id\":\""
                + SESSION
                + "\"}}");
  }

  private static ObjectNode taskUpdatedV1(String id) throws Exception {
    return event(
        id,
        "task.updated",
        1,
        "{\"task_gid\":\"7\",\"project_gids\":[\"3\"],\"changed_fields\":[\"name\"]}");
  }

  private static ObjectNode commentAdded(String id) throws Exception {
    return event(
        id,
        "comment.added",
        1,
        "{\"task_gid\":\"7\",\"text\":\""
            + COMMENT
            + "\",\"mentioned_user_gids\":[\"11\",\"12\"],"
            + "\"reporter_phone\":\""
            + UNKNOWN_PII
            + "\"}");
  }

  private static RawRecord raw(String json, long offset) {
    return raw(json.getBytes(StandardCharsets.UTF_8), offset);
  }

  private static RawRecord raw(byte[] bytes, long offset) {
    return RawRecord.of(bytes, SourceRef.kafka("events", 3, offset), ARRIVAL + offset);
  }

  private ValidateEvents.Result apply(RawRecord... records) {
    return apply(ValidateEvents.create().withPseudonymKey(KeyReference.dev()), records);
  }

  /** {@code validate} over {@code records}, each timestamped at its arrival. */
  private ValidateEvents.Result apply(ValidateEvents validate, RawRecord... records) {
    List<TimestampedValue<RawRecord>> timestamped = new ArrayList<>();
    for (RawRecord r : records) {
      timestamped.add(TimestampedValue.of(r, new Instant(r.receivedAtMillis())));
    }
    return pipeline
        .apply("CreateRecords", Create.timestamped(timestamped))
        .apply("ValidateEvents", validate);
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.committedOrAttempted(result, ValidateEvents.METRIC_NAMESPACE, name);
  }

  /**
   * Runs one record and asserts it is quarantined with {@code reason}, its source and bytes kept.
   */
  private void assertQuarantined(
      byte[] bytes, ReasonCode reason, String expectedEventId, String detailPart) {
    RawRecord record = raw(bytes, 17);
    ValidateEvents.Result result = apply(record);
    PAssert.that(result.events()).empty();
    PAssert.that(result.quarantined())
        .satisfies(
            records -> {
              List<QuarantineRecord> all = new ArrayList<>();
              records.forEach(all::add);
              assertThat(all, hasSize(1));
              QuarantineRecord q = all.get(0);
              assertThat(q.reason(), equalTo(reason));
              assertThat(q.original().source(), equalTo(SourceRef.kafka("events", 3, 17)));
              assertThat(q.original().receivedAtMillis(), equalTo(ARRIVAL + 17));
              assertArrayEquals(bytes, q.original().payload());
              assertThat(q.eventId(), equalTo(expectedEventId));
              assertThat(q.detail(), containsString(detailPart));
              for (String pii : Arrays.asList(EMAIL, NAME, IP, USER_AGENT, COMMENT)) {
                assertThat(q.detail(), not(containsString(pii)));
              }
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, ValidateEvents.RECEIVED), equalTo(1L));
    assertThat(counter(run, ValidateEvents.QUARANTINED), equalTo(1L));
    assertThat(counter(run, ValidateEvents.quarantinedCounterName(reason)), equalTo(1L));
    assertThat(counter(run, ValidateEvents.ACCEPTED), equalTo(0L));
  }

  private void assertQuarantined(
      String text, ReasonCode reason, String expectedEventId, String detailPart) {
    assertQuarantined(text.getBytes(StandardCharsets.UTF_8), reason, expectedEventId, detailPart);
  }

  @Test
  public void emptyRecord() {
    assertQuarantined(" \n", ReasonCode.EMPTY_RECORD, null, "empty");
  }

  @Test
  public void recordOverOneMebibyteIsTooLarge() throws Exception {
    ObjectNode e = commentAdded("evt_large_0001");
    char[] filler = new char[1024 * 1024];
    Arrays.fill(filler, 'x');
    ((ObjectNode) e.get("payload")).put("text", new String(filler));
    byte[] bytes = MAPPER.writeValueAsBytes(e);
    assertThat(bytes.length > ValidateEvents.DEFAULT_MAX_RECORD_BYTES, equalTo(true));
    assertQuarantined(bytes, ReasonCode.TOO_LARGE, null, "limit is 1048576");
  }

  @Test
  public void invalidUtf8() throws Exception {
    byte[] good = MAPPER.writeValueAsBytes(taskUpdatedV1("evt_utf8_0001"));
    byte[] bad = Arrays.copyOf(good, good.length);
    int at = new String(good, StandardCharsets.ISO_8859_1).indexOf("ios");
    bad[at] = (byte) 0xc3;
    bad[at + 1] = (byte) 0x28;
    assertQuarantined(bad, ReasonCode.NOT_UTF8, null, "byte offset " + at);
  }

  @Test
  public void notJson() {
    assertQuarantined("{\"event_id\": evt_nojson_1}", ReasonCode.NOT_JSON, null, "line 1");
  }

  @Test
  public void notAnObject() {
    assertQuarantined(
        "[{\"event_id\":\"evt_array_0001\"}]", ReasonCode.NOT_AN_OBJECT, null, "an array");
  }

  @Test
  public void duplicateKey() {
    assertQuarantined(
        "{\"event_id\":\"evt_dup_00001\",\"event_id\":\"evt_dup_00002\"}",
        ReasonCode.DUPLICATE_KEY,
        null,
        "duplicate key");
  }

  @Test
  public void tooDeep() {
    StringBuilder sb = new StringBuilder("{\"payload\":");
    for (int i = 0; i < 64; i++) {
      sb.append('[');
    }
    for (int i = 0; i < 64; i++) {
      sb.append(']');
    }
    assertQuarantined(sb.append('}').toString(), ReasonCode.TOO_DEEP, null, "deeper than 64");
  }

  @Test
  public void trailingData() throws Exception {
    String one = MAPPER.writeValueAsString(taskUpdatedV1("evt_trail_001"));
    assertQuarantined(one + one, ReasonCode.TRAILING_DATA, null, "after the first JSON value");
  }

  @Test
  public void envelopeInvalid() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_env_00001");
    ((ObjectNode) e.get("actor")).remove("user_gid");
    e.put("workspace_gid", EMAIL);
    assertQuarantined(
        MAPPER.writeValueAsString(e),
        ReasonCode.ENVELOPE_INVALID,
        "evt_env_00001",
        "/actor/user_gid: required; /workspace_gid: pattern");
  }

  @Test
  public void timestampWithoutOffsetIsInvalid() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_time_0001");
    e.put("occurred_at", "2025-11-02T08:00:01.123");
    assertQuarantined(
        MAPPER.writeValueAsString(e),
        ReasonCode.INVALID_TIMESTAMP,
        "evt_time_0001",
        "/occurred_at");
  }

  private static final long DAY = 86_400_000L;

  /**
   * {@code e} occurred at {@code occurred} and arrived at {@code arrival}, from Kafka offset {@code
   * offset}.
   */
  private static RawRecord timed(ObjectNode e, long occurred, long arrival, long offset)
      throws Exception {
    return timed(e, java.time.Instant.ofEpochMilli(occurred).toString(), arrival, offset);
  }

  private static RawRecord timed(ObjectNode e, String occurredAt, long arrival, long offset)
      throws Exception {
    e.put("occurred_at", occurredAt);
    return RawRecord.of(MAPPER.writeValueAsBytes(e), SourceRef.kafka("events", 3, offset), arrival);
  }

  /** The event ids of the accepted events, and {@code id:REASON} of the quarantined records. */
  private static void assertOutcomes(
      ValidateEvents.Result result, List<String> accepted, List<String> quarantined) {
    PAssert.that(
            result
                .events()
                .apply(
                    "AcceptedIds",
                    MapElements.into(TypeDescriptors.strings()).via(CollabEvent::eventId)))
        .containsInAnyOrder(accepted);
    PAssert.that(
            result
                .quarantined()
                .apply(
                    "QuarantinedIdsAndReasons",
                    MapElements.into(TypeDescriptors.strings())
                        .via(q -> q.eventId() + ":" + q.reason())))
        .containsInAnyOrder(quarantined);
  }

  @Test
  public void occurredAtIsBoundedAroundItsArrivalByDefault() throws Exception {
    long ahead = ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis();
    long age = ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis();
    assertThat(ahead, equalTo(DAY));
    assertThat(age, equalTo(180 * DAY));
    ValidateEvents.Result result =
        apply(
            timed(taskUpdatedV1("evt_ahead_at_bound"), ARRIVAL + ahead, ARRIVAL, 1),
            timed(taskUpdatedV1("evt_ahead_inside"), ARRIVAL + ahead - 1, ARRIVAL, 2),
            timed(taskUpdatedV1("evt_ahead_outside"), ARRIVAL + ahead + 1, ARRIVAL, 3),
            timed(taskUpdatedV1("evt_age_at_bound"), ARRIVAL - age, ARRIVAL, 4),
            timed(taskUpdatedV1("evt_age_inside"), ARRIVAL - age + 1, ARRIVAL, 5),
            timed(taskUpdatedV1("evt_age_outside"), ARRIVAL - age - 1, ARRIVAL, 6),
            timed(taskUpdatedV1("evt_year_9999"), "9999-12-31T23:59:59.999Z", ARRIVAL, 7),
            timed(taskUpdatedV1("evt_year_0001"), "0001-01-01T00:00:00+00:00", ARRIVAL, 8),
            timed(taskUpdatedV1("evt_year_0000"), "0000-01-01T00:00:00Z", ARRIVAL, 9));
    assertOutcomes(
        result,
        Arrays.asList(
            "evt_ahead_at_bound", "evt_ahead_inside", "evt_age_at_bound", "evt_age_inside"),
        Arrays.asList(
            "evt_ahead_outside:OCCURRED_IN_FUTURE",
            "evt_age_outside:OCCURRED_TOO_LONG_AGO",
            "evt_year_9999:OCCURRED_IN_FUTURE",
            "evt_year_0001:OCCURRED_TOO_LONG_AGO",
            "evt_year_0000:OCCURRED_TOO_LONG_AGO"));
    PAssert.that(
            result
                .quarantined()
                .apply(
                    "Details",
                    MapElements.into(TypeDescriptors.strings())
                        .via(q -> q.eventId() + " " + q.detail())))
        .satisfies(
            details -> {
              List<String> all = new ArrayList<>();
              details.forEach(all::add);
              assertThat(
                  all.toString(),
                  all.contains(
                      "evt_ahead_outside /occurred_at: 24.0 h after the record's arrival; at most 1d after it is accepted"),
                  equalTo(true));
              assertThat(
                  all.toString(),
                  all.contains(
                      "evt_age_outside /occurred_at: 180.0 days before the record's "
                          + "arrival; at most 180d before it is accepted"),
                  equalTo(true));
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, ValidateEvents.RECEIVED), equalTo(9L));
    assertThat(counter(run, ValidateEvents.ACCEPTED), equalTo(4L));
    assertThat(counter(run, ValidateEvents.QUARANTINED), equalTo(5L));
    assertThat(
        counter(run, ValidateEvents.quarantinedCounterName(ReasonCode.OCCURRED_IN_FUTURE)),
        equalTo(2L));
    assertThat(
        counter(run, ValidateEvents.quarantinedCounterName(ReasonCode.OCCURRED_TOO_LONG_AGO)),
        equalTo(3L));
    assertThat(counter(run, "quarantined.OCCURRED_IN_FUTURE"), equalTo(2L));
  }

  @Test
  public void theBoundsAreSettings() throws Exception {
    long ahead = 2 * 3_600_000L;
    long age = 7 * DAY;
    ValidateEvents.Result result =
        apply(
            ValidateEvents.create()
                .withPseudonymKey(KeyReference.dev())
                .withMaxEventTimeAhead(org.joda.time.Duration.millis(ahead))
                .withMaxEventAge(org.joda.time.Duration.millis(age)),
            timed(taskUpdatedV1("evt_2h_ahead"), ARRIVAL + ahead, ARRIVAL, 1),
            timed(taskUpdatedV1("evt_2h_ahead_and_1ms"), ARRIVAL + ahead + 1, ARRIVAL, 2),
            timed(taskUpdatedV1("evt_7d_ago"), ARRIVAL - age, ARRIVAL, 3),
            timed(taskUpdatedV1("evt_7d_and_1ms_ago"), ARRIVAL - age - 1, ARRIVAL, 4));
    assertOutcomes(
        result,
        Arrays.asList("evt_2h_ahead", "evt_7d_ago"),
        Arrays.asList(
            "evt_2h_ahead_and_1ms:OCCURRED_IN_FUTURE", "evt_7d_and_1ms_ago:OCCURRED_TOO_LONG_AGO"));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(
        counter(run, ValidateEvents.quarantinedCounterName(ReasonCode.OCCURRED_IN_FUTURE)),
        equalTo(1L));
    assertThat(
        counter(run, ValidateEvents.quarantinedCounterName(ReasonCode.OCCURRED_TOO_LONG_AGO)),
        equalTo(1L));
  }

  /**
   * A record is judged by its own arrival, never by the wall clock: a record that arrived in 2001
   * may have occurred up to a day later (by the wall clock it is decades old), and one that arrives
   * in 2300 may have occurred 180 days earlier (by the wall clock it is centuries ahead).
   * Re-validating a quarantine later gives the same answer.
   */
  @Test
  public void theBoundsAreJudgedByEachRecordsArrivalNotTheWallClock() throws Exception {
    long past = 1_000_000_000_000L; // 2001-09-09T01:46:40Z
    long future = java.time.Instant.parse("2300-01-01T00:00:00Z").toEpochMilli();
    ValidateEvents.Result result =
        apply(
            timed(taskUpdatedV1("evt_2001_at_bound"), past + DAY, past, 1),
            timed(taskUpdatedV1("evt_2001_beyond"), past + DAY + 1, past, 2),
            timed(taskUpdatedV1("evt_2300_at_bound"), future - 180 * DAY, future, 3),
            timed(taskUpdatedV1("evt_2300_beyond"), future - 180 * DAY - 1, future, 4));
    assertOutcomes(
        result,
        Arrays.asList("evt_2001_at_bound", "evt_2300_at_bound"),
        Arrays.asList(
            "evt_2001_beyond:OCCURRED_IN_FUTURE", "evt_2300_beyond:OCCURRED_TOO_LONG_AGO"));
    pipeline.run().waitUntilFinish();
  }

  /**
   * {@code e} as JSON text, with the string value {@code "PLACEHOLDER"} replaced by {@code
   * jsonString}, verbatim.
   */
  private static byte[] withRawString(ObjectNode e, String jsonString) throws Exception {
    String text = MAPPER.writeValueAsString(e);
    assertThat(text, containsString("PLACEHOLDER"));
    return text.replace("PLACEHOLDER", jsonString).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  public void aLoneSurrogateInAnEnvelopeStringIsQuarantinedNotReplaced() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_lone_env1");
    ((ObjectNode) e.get("source")).put("service", "PLACEHOLDER");
    assertQuarantined(
        withRawString(e, "mobile\\ud800"), ReasonCode.NOT_UTF8, null, "lone UTF-16 surrogate");
  }

  @Test
  public void aLoneSurrogateInAPayloadStringIsQuarantinedNotReplaced() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_lone_pay1");
    ((ObjectNode) e.get("payload")).putArray("changed_fields").add("PLACEHOLDER");
    assertQuarantined(
        withRawString(e, "name\\uDE00"), ReasonCode.NOT_UTF8, null, "lone UTF-16 surrogate");
  }

  @Test
  public void anEscapedSurrogatePairIsKeptAsItsCharacter() throws Exception {
    String emoji = "\uD83D\uDE00";
    ObjectNode e = taskUpdatedV1("evt_emoji_001");
    ((ObjectNode) e.get("source")).put("service", "PLACEHOLDER");
    ((ObjectNode) e.get("payload")).putArray("changed_fields").add("PLACEHOLDER");
    ValidateEvents.Result result = apply(raw(withRawString(e, "mobile \\uD83D\\uDE00"), 1));
    PAssert.that(result.quarantined()).empty();
    PAssert.that(result.events())
        .satisfies(
            events -> {
              CollabEvent ev = events.iterator().next();
              assertThat(ev.service(), equalTo("mobile " + emoji));
              assertThat(
                  ev.payloadJson(),
                  containsString("\"changed_fields\":[\"mobile " + emoji + "\"]"));
              assertThat(ev.payloadJson(), not(containsString("?")));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void unknownEventType() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_type_0001");
    e.put("event_type", "task.renamed");
    assertQuarantined(
        MAPPER.writeValueAsString(e),
        ReasonCode.UNKNOWN_EVENT_TYPE,
        "evt_type_0001",
        "/event_type");
  }

  @Test
  public void unknownSchemaVersion() throws Exception {
    ObjectNode e = taskUpdatedV1("evt_vers_0001");
    e.put("schema_version", 3);
    assertQuarantined(
        MAPPER.writeValueAsString(e),
        ReasonCode.UNKNOWN_SCHEMA_VERSION,
        "evt_vers_0001",
        "known: [1, 2]");
  }

  @Test
  public void payloadInvalid() throws Exception {
    ObjectNode e = commentAdded("evt_pay_00001");
    ((ObjectNode) e.get("payload")).remove("text");
    ((ObjectNode) e.get("payload")).putArray("mentioned_user_gids").add(EMAIL);
    assertQuarantined(
        MAPPER.writeValueAsString(e),
        ReasonCode.PAYLOAD_INVALID,
        "evt_pay_00001",
        "/payload/mentioned_user_gids/0: pattern; /payload/text: required");
  }

  @Test
  public void acceptedEventsHoldNoPiiAndKeepDerivedFacts() throws Exception {
    ValidateEvents.Result result =
        apply(raw(MAPPER.writeValueAsString(commentAdded("evt_cmt_00001")), 5));
    Pseudonymizer p = new Pseudonymizer(KeyReference.dev().resolve());
    String expectedPayload =
        "{\"mentioned_user_gids\":[\""
            + p.pseudonymize("11")
            + "\",\""
            + p.pseudonymize("12")
            + "\"],"
            + "\"mentioned_user_gids_count\":2,\"task_gid\":\"7\",\"text_length\":"
            + COMMENT.length()
            + "}";
    String expectedActor = p.pseudonymize(ACTOR_GID);
    PAssert.that(result.quarantined()).empty();
    PAssert.that(result.events())
        .satisfies(
            events -> {
              List<CollabEvent> all = new ArrayList<>();
              events.forEach(all::add);
              assertThat(all, hasSize(1));
              CollabEvent e = all.get(0);
              String everything = e.toString();
              for (String pii :
                  Arrays.asList(
                      EMAIL, NAME, IP, USER_AGENT, SESSION, COMMENT, UNKNOWN_PII, ACTOR_GID)) {
                assertThat(everything, not(containsString(pii)));
              }
              assertThat(e.payloadJson(), equalTo(expectedPayload));
              assertThat(e.actorId(), equalTo(expectedActor));
              assertThat(e.actorId(), matchesPattern("u_[0-9a-f]{32}"));
              assertThat(e.eventId(), equalTo("evt_cmt_00001"));
              assertThat(e.eventType(), equalTo("comment.added"));
              assertThat(e.schemaVersion(), equalTo(1));
              assertThat(e.occurredAtMillis(), equalTo(1_762_070_401_123L)); // 09:00:01.123+01:00
              assertThat(e.receivedAtMillis(), equalTo(ARRIVAL + 5));
              assertThat(e.workspaceGid(), equalTo("100"));
              assertThat(e.platform(), equalTo("ios"));
              assertThat(e.service(), equalTo("mobile"));
              assertThat(e.appVersion(), equalTo("5.1"));
              assertThat(e.resourceType(), equalTo("task"));
              assertThat(e.resourceGid(), equalTo("7"));
              assertThat(e.taskGid(), equalTo("7"));
              assertThat(e.triggerEventId(), nullValue());
              assertThat(e.source(), equalTo(SourceRef.kafka("events", 3, 5)));
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, ValidateEvents.ACCEPTED), equalTo(1L));
    assertThat(counter(run, ValidateEvents.UNKNOWN_FIELDS_DROPPED), equalTo(1L));
  }

  @Test
  public void bothVersionsOfTaskUpdatedAreAcceptedAndTimestampsPreserved() throws Exception {
    ObjectNode v2 =
        event(
            "evt_upd_v2_01",
            "task.updated",
            2,
            "{\"task_gid\":\"8\",\"project_gids\":[],\"changed_fields\":[],\"custom_field_gids\":[\"55\"],\"new\":1}");
    ObjectNode notification =
        event(
            "evt_notif_001",
            "notification.sent",
            1,
            "{\"recipient_user_gid\":\"12\",\"channel\":\"push\",\"trigger_event_id\":\"evt_cmt_00001\","
                + "\"trigger_event_type\":\"comment.added\"}");
    ValidateEvents.Result result =
        apply(
            raw(MAPPER.writeValueAsString(taskUpdatedV1("evt_upd_v1_01")), 1),
            raw(MAPPER.writeValueAsString(v2), 2),
            raw(MAPPER.writeValueAsString(notification), 3),
            raw("not json", 4));
    PCollection<String> stamped =
        result
            .events()
            .apply("ReifyEventTimestamps", Reify.timestamps())
            .apply(
                "DescribeEvents",
                MapElements.into(TypeDescriptors.strings())
                    .via(
                        tv ->
                            tv.getValue().eventId()
                                + "@"
                                + tv.getTimestamp().getMillis()
                                + " task="
                                + tv.getValue().taskGid()
                                + " trigger="
                                + tv.getValue().triggerEventId()
                                + "/"
                                + tv.getValue().triggerEventType()
                                + " "
                                + tv.getValue().payloadJson()));
    Pseudonymizer p = new Pseudonymizer(KeyReference.dev().resolve());
    PAssert.that(stamped)
        .containsInAnyOrder(
            "evt_upd_v1_01@"
                + (ARRIVAL + 1)
                + " task=7 trigger=null/null"
                + " {\"changed_fields\":[\"name\"],\"project_gids\":[\"3\"],\"task_gid\":\"7\"}",
            "evt_upd_v2_01@"
                + (ARRIVAL + 2)
                + " task=8 trigger=null/null"
                + " {\"changed_fields\":[],\"custom_field_gids\":[\"55\"],\"project_gids\":[],\"task_gid\":\"8\"}",
            "evt_notif_001@"
                + (ARRIVAL + 3)
                + " task=null trigger=evt_cmt_00001/comment.added"
                + " {\"channel\":\"push\",\"recipient_user_gid\":\""
                + p.pseudonymize("12")
                + "\","
                + "\"trigger_event_id\":\"evt_cmt_00001\",\"trigger_event_type\":\"comment.added\"}");
    PCollection<String> quarantineStamps =
        result
            .quarantined()
            .apply("ReifyQuarantineTimestamps", Reify.timestamps())
            .apply(
                "DescribeQuarantine",
                MapElements.into(TypeDescriptors.strings())
                    .via(tv -> tv.getValue().reason() + "@" + tv.getTimestamp().getMillis()));
    PAssert.that(quarantineStamps).containsInAnyOrder("NOT_JSON@" + (ARRIVAL + 4));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, ValidateEvents.RECEIVED), equalTo(4L));
    assertThat(counter(run, ValidateEvents.ACCEPTED), equalTo(3L));
    assertThat(counter(run, ValidateEvents.QUARANTINED), equalTo(1L));
    assertThat(
        counter(run, ValidateEvents.quarantinedCounterName(ReasonCode.NOT_JSON)), equalTo(1L));
    assertThat(counter(run, ValidateEvents.UNKNOWN_FIELDS_DROPPED), equalTo(1L));
  }

  @Test
  public void pseudonymsAreDeterministicAndDependOnTheKey() throws Exception {
    File keyFile = tmp.newFile("pseudonym.key");
    Files.write(
        keyFile.toPath(),
        "a-test-key-that-is-long-enough-0123456789".getBytes(StandardCharsets.UTF_8));
    List<TimestampedValue<RawRecord>> records =
        Arrays.asList(
            TimestampedValue.of(
                raw(MAPPER.writeValueAsString(taskUpdatedV1("evt_same_0001")), 1),
                new Instant(ARRIVAL)),
            TimestampedValue.of(
                raw(MAPPER.writeValueAsString(taskUpdatedV1("evt_same_0002")), 2),
                new Instant(ARRIVAL)));
    PCollection<RawRecord> input = pipeline.apply("CreateRecords", Create.timestamped(records));
    PCollection<String> devActors =
        input
            .apply(
                "ValidateWithDevKey", ValidateEvents.create().withPseudonymKey(KeyReference.dev()))
            .events()
            .apply(
                "DevActors", MapElements.into(TypeDescriptors.strings()).via(CollabEvent::actorId));
    PCollection<String> fileActors =
        input
            .apply(
                "ValidateWithFileKey",
                ValidateEvents.create()
                    .withPseudonymKey(KeyReference.parse("file:" + keyFile.getPath())))
            .events()
            .apply(
                "FileActors",
                MapElements.into(TypeDescriptors.strings()).via(CollabEvent::actorId));
    String dev = new Pseudonymizer(KeyReference.dev().resolve()).pseudonymize(ACTOR_GID);
    String other =
        new Pseudonymizer(KeyReference.parse("file:" + keyFile.getPath()).resolve())
            .pseudonymize(ACTOR_GID);
    assertThat(dev, not(equalTo(other)));
    PAssert.that(devActors).containsInAnyOrder(dev, dev);
    PAssert.that(fileActors).containsInAnyOrder(other, other);
    pipeline.run().waitUntilFinish();
  }

  /** HMAC-SHA256 of {@code gid} under {@code key}, as the oracle: {@code u_} + 32 hex. */
  private static String hmac(byte[] key, String gid) throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
    return "u_"
        + java.util.HexFormat.of()
            .formatHex(mac.doFinal(gid.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }

  @Test
  public void withAUserKeyStoreEachUserIsPseudonymizedUnderTheirOwnSecret() throws Exception {
    String storeDir = tmp.newFolder("user-keys").getPath();
    PCollection<CollabEvent> events =
        pipeline
            .apply(
                "CreateRecords",
                Create.timestamped(
                    TimestampedValue.of(
                        raw(MAPPER.writeValueAsString(commentAdded("evt_peruser_0001")), 1),
                        new Instant(ARRIVAL))))
            .apply(
                "ValidateEvents",
                ValidateEvents.create()
                    .withPseudonymKey(KeyReference.dev())
                    .withUserKeyStore(storeDir))
            .events();
    PAssert.that(
            events.apply(
                "ActorAndPayload",
                MapElements.into(TypeDescriptors.strings())
                    .via(e -> e.actorId() + " " + e.payloadJson())))
        .satisfies(
            rows -> {
              try (io.collabpipeline.transforms.pii.UserKeyStore store =
                  io.collabpipeline.transforms.pii.UserKeyStores.open(storeDir)) {
                byte[] global = KeyReference.dev().resolve();
                String row = rows.iterator().next();
                for (String gid : Arrays.asList(ACTOR_GID, "11", "12")) {
                  byte[] secret = store.get(hmac(global, gid)).orElseThrow().secret();
                  String expected = hmac(secret, gid);
                  assertThat(row, containsString(expected));
                  assertThat(row, not(containsString(hmac(global, gid))));
                }
                assertThat(
                    row,
                    startsWith(
                        hmac(store.get(hmac(global, ACTOR_GID)).orElseThrow().secret(), ACTOR_GID)
                            + " "));
                assertThat(store.entries(), hasSize(3));
              } catch (Exception e) {
                throw new AssertionError(e);
              }
              return null;
            });
    pipeline.run().waitUntilFinish();
    assertThat(
        DisplayData.from(
                ValidateEvents.create()
                    .withPseudonymKey(KeyReference.dev())
                    .withUserKeyStore("jdbc:postgresql://db/keys?password=hunter2"))
            .toString(),
        allOf(
            containsString("jdbc:postgresql://db/keys?password=***"),
            not(containsString("hunter2"))));
  }

  @Test
  public void expandWithoutAKeyNamesWithPseudonymKey() {
    pipeline.enableAbandonedNodeEnforcement(false);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                pipeline
                    .apply("CreateRecords", Create.of(raw("{}", 1)))
                    .apply("ValidateEvents", ValidateEvents.create()));
    assertThat(e.getMessage(), containsString("withPseudonymKey("));
  }

  @Test
  public void displayDataShowsTheKeyReferenceNotTheKey() {
    ValidateEvents t =
        ValidateEvents.create()
            .withPseudonymKey(KeyReference.parse("env:COLLAB_PSEUDONYM_KEY"))
            .withMaxRecordBytes(2048)
            .withMaxNestingDepth(16);
    DisplayData data = DisplayData.from(t);
    assertThat(data.toString(), containsString("env:COLLAB_PSEUDONYM_KEY"));
    assertThat(data.toString(), containsString("2048"));
    assertThrows(
        IllegalArgumentException.class, () -> ValidateEvents.create().withMaxRecordBytes(0));
    assertThrows(
        IllegalArgumentException.class, () -> ValidateEvents.create().withMaxNestingDepth(1));
  }

  @Test
  public void displayDataShowsTheClockBoundsAndBadBoundsNameTheirSetting() {
    DisplayData data =
        DisplayData.from(
            ValidateEvents.create()
                .withPseudonymKey(KeyReference.dev())
                .withMaxEventTimeAhead(org.joda.time.Duration.standardHours(6))
                .withMaxEventAge(org.joda.time.Duration.standardDays(30)));
    assertThat(data.toString(), containsString("maxEventTimeAhead=21600000"));
    assertThat(data.toString(), containsString("maxEventAge=2592000000"));
    assertThat(
        DisplayData.from(ValidateEvents.create()).toString(),
        containsString("maxEventAge=15552000000"));
    IllegalArgumentException ahead =
        assertThrows(
            IllegalArgumentException.class,
            () -> ValidateEvents.create().withMaxEventTimeAhead(org.joda.time.Duration.millis(-1)));
    assertThat(ahead.getMessage(), containsString("withMaxEventTimeAhead("));
    IllegalArgumentException age =
        assertThrows(
            IllegalArgumentException.class,
            () -> ValidateEvents.create().withMaxEventAge(org.joda.time.Duration.ZERO));
    assertThat(age.getMessage(), containsString("withMaxEventAge("));
    assertThrows(
        IllegalArgumentException.class, () -> ValidateEvents.create().withMaxEventAge(null));
    // Zero ahead is a setting (occurred_at never after arrival), not an error.
    ValidateEvents.create().withMaxEventTimeAhead(org.joda.time.Duration.ZERO);
  }

  /**
   * With the arrivals, every record's arrival comes out once, at its arrival, whatever became of
   * the record; the events and the quarantined records are what they are without.
   */
  @Test
  public void withArrivalsEveryRecordsArrivalComesOutOnceWhateverBecameOfIt() throws Exception {
    RawRecord accepted = raw(MAPPER.writeValueAsString(taskUpdatedV1("evt-arrivals-1")), 1);
    RawRecord notJson = raw("{\"event_id\": evt_nojson_1}", 2);
    RawRecord alsoAccepted = raw(MAPPER.writeValueAsString(commentAdded("evt-arrivals-2")), 3);
    RawRecord empty = raw(" \n", 4);
    ValidateEvents.Result result =
        apply(
            ValidateEvents.create().withPseudonymKey(KeyReference.dev()).withArrivals(),
            accepted,
            notJson,
            alsoAccepted,
            empty);

    PAssert.that(result.arrivals().apply("ReifyArrivals", Reify.timestamps()))
        .containsInAnyOrder(
            TimestampedValue.of(ARRIVAL + 1, new Instant(ARRIVAL + 1)),
            TimestampedValue.of(ARRIVAL + 2, new Instant(ARRIVAL + 2)),
            TimestampedValue.of(ARRIVAL + 3, new Instant(ARRIVAL + 3)),
            TimestampedValue.of(ARRIVAL + 4, new Instant(ARRIVAL + 4)));
    PAssert.that(
            result
                .events()
                .apply(
                    "EventIds",
                    MapElements.into(TypeDescriptors.strings()).via(CollabEvent::eventId)))
        .containsInAnyOrder("evt-arrivals-1", "evt-arrivals-2");
    PAssert.that(
            result
                .quarantined()
                .apply(
                    "Reasons",
                    MapElements.into(TypeDescriptors.strings())
                        .via((QuarantineRecord q) -> q.reason().code())))
        .containsInAnyOrder(ReasonCode.NOT_JSON.code(), ReasonCode.EMPTY_RECORD.code());
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void arrivalsWithoutWithArrivalsIsAnError() {
    ValidateEvents.Result result = apply(raw("{}", 1));
    IllegalStateException e = assertThrows(IllegalStateException.class, result::arrivals);
    assertThat(e.getMessage(), containsString("withArrivals()"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}

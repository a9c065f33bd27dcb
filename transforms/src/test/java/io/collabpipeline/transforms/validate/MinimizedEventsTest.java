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
import io.collabpipeline.transforms.pii.MinimizedEvents;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Events minimized at the edge: the pipeline's validator turns them into exactly the event the full
 * record gives (no second minimization), and refuses a marked event that still holds anything
 * minimization removes or was minimized with another key.
 */
@RunWith(JUnit4.class)
public class MinimizedEventsTest {
  private static final long ARRIVAL = Instant.parse("2026-11-02T08:00:02.123Z").toEpochMilli();

  private static EventValidator validator(byte[] key) {
    return new EventValidator(
        EventSchemaRegistry.loadDefault(),
        new Pseudonymizer(key),
        1 << 20,
        64,
        ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
        ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis());
  }

  private static RawRecord raw(byte[] json, long n) {
    return RawRecord.of(json, SourceRef.kafka("collab-events", 0, n), ARRIVAL);
  }

  private static RawRecord raw(String json, long n) {
    return raw(json.getBytes(StandardCharsets.UTF_8), n);
  }

  /**
   * The full event through the edge's validator, then its minimized form through the pipeline's.
   */
  private static EventValidator.Outcome throughTheEdge(String full, long n) {
    EventValidator edge = validator(KeyReference.dev().resolve());
    CollabEvent atEdge = edge.validate(raw(full, n)).event();
    assertThat(atEdge, notNullValue());
    byte[] wire = MinimizedEvents.toJson(atEdge, edge.keyId());
    return validator(KeyReference.dev().resolve()).validate(raw(wire, n));
  }

  @Test
  public void everyTypeMinimizedAtTheEdgeBecomesTheSameEventAsItsFullRecord() {
    EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
    long n = 0;
    for (Map.Entry<String, String> e : EventValidatorTest.payloads().entrySet()) {
      int version = registry.versions(e.getKey()).last();
      String full =
          EventValidatorTest.event("evt_" + (20_000_000 + n), e.getKey(), version, e.getValue());
      CollabEvent direct = validator(KeyReference.dev().resolve()).validate(raw(full, n)).event();
      EventValidator.Outcome viaEdge = throughTheEdge(full, n);
      assertThat(
          e.getKey() + ": " + (viaEdge.quarantined() == null ? "" : viaEdge.quarantined().detail()),
          viaEdge.event(),
          equalTo(direct));
      n++;
    }
  }

  @Test
  public void theWireFormHoldsNoPii() {
    String full =
        EventValidatorTest.event(
            "evt_30000000",
            "comment.added",
            1,
            "{\"task_gid\":\"70\",\"text\":\"private words\",\"mentioned_user_gids\":[\"901\"]}");
    EventValidator edge = validator(KeyReference.dev().resolve());
    String wire =
        new String(
            MinimizedEvents.toJson(edge.validate(raw(full, 0)).event(), edge.keyId()),
            StandardCharsets.UTF_8);
    for (String pii :
        new String[] {
          "private words", "zed.private@example.org", "198.51.100.9", "\"42\"", "901"
        }) {
      assertThat(wire, not(containsString(pii)));
    }
    assertThat(wire, containsString("\"text_length\":13"));
  }

  @Test
  public void aMarkedEventThatStillHoldsPiiOrAnotherKeysPseudonymsIsQuarantined() {
    EventValidator edge = validator(KeyReference.dev().resolve());
    String full =
        EventValidatorTest.event(
            "evt_40000000",
            "comment.added",
            1,
            "{\"task_gid\":\"70\",\"text\":\"private words\",\"mentioned_user_gids\":[\"901\"]}");
    String wire =
        new String(
            MinimizedEvents.toJson(edge.validate(raw(full, 0)).event(), edge.keyId()),
            StandardCharsets.UTF_8);
    String marker = "\"minimization\":{\"version\":1,\"key_id\":\"" + edge.keyId() + "\"}";

    // a full event with the marker: its context, then its actor, give it away
    assertQuarantined(
        full.substring(0, full.length() - 1) + "," + marker + "}",
        ReasonCode.ENVELOPE_INVALID,
        "/context");
    assertQuarantined(
        full.replace(",\"context\":{\"ip\":\"198.51.100.9\"}", "")
            .replace("}}", "}," + marker + "}"),
        ReasonCode.ENVELOPE_INVALID,
        "/actor");
    // context added back
    assertQuarantined(
        wire.replace("\"minimization\"", "\"context\":{\"ip\":\"198.51.100.9\"},\"minimization\""),
        ReasonCode.ENVELOPE_INVALID,
        "/context");
    // free text added back, an identifier that is not a pseudonym, an undeclared field
    assertQuarantined(
        wire.replace("\"task_gid\"", "\"text\":\"private words\",\"task_gid\""),
        ReasonCode.PAYLOAD_INVALID,
        "/payload/text");
    assertQuarantined(
        wire.replaceFirst(
            "\"mentioned_user_gids\":\\[\"u_[0-9a-f]+\"\\]", "\"mentioned_user_gids\":[\"901\"]"),
        ReasonCode.PAYLOAD_INVALID,
        "/payload/mentioned_user_gids");
    assertQuarantined(
        wire.replace("\"task_gid\"", "\"author_email\":\"x@y.z\",\"task_gid\""),
        ReasonCode.PAYLOAD_INVALID,
        "/payload/author_email");
    // minimized with another key: its pseudonyms would not match this pipeline's
    EventValidator.Outcome other =
        validator("another-key-of-at-least-thirty-two-bytes!".getBytes(StandardCharsets.UTF_8))
            .validate(raw(wire, 1));
    assertThat(other.quarantined().reason(), equalTo(ReasonCode.ENVELOPE_INVALID));
    assertThat(other.quarantined().detail(), containsString("key_id"));
  }

  private static void assertQuarantined(String json, ReasonCode reason, String detailPart) {
    EventValidator.Outcome o = validator(KeyReference.dev().resolve()).validate(raw(json, 7));
    assertThat(json, o.quarantined(), notNullValue());
    assertThat(o.quarantined().detail(), o.quarantined().reason(), equalTo(reason));
    assertThat(o.quarantined().detail(), containsString(detailPart));
  }
}

package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.schemas.EventSchemaRegistry;
import java.io.IOException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The generated workload against the shipped JSON Schemas of the schemas module. */
@RunWith(JUnit4.class)
public class GeneratedEventsMatchSchemasTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();

  @Test
  public void everyValidEventPassesItsEnvelopeAndPayloadSchemas() throws IOException {
    WorkloadGenerator g = new WorkloadGenerator(WorkloadSpec.defaults().withSeed(3));
    int checked = 0;
    for (int i = 0; i < 5000; i++) {
      Delivery d = g.delivery(i);
      if (d.kind() == Delivery.Kind.MALFORMED) {
        continue;
      }
      JsonNode event = MAPPER.readTree(d.bytes());
      String type = event.get("event_type").asText();
      int version = event.get("schema_version").asInt();
      assertThat("envelope of " + i, registry.validateEnvelope(event), is(empty()));
      assertThat(type + " v" + version + " registered", registry.isKnown(type, version), is(true));
      assertThat(
          "payload of " + i,
          registry.validatePayload(type, version, event.get("payload")),
          is(empty()));
      checked++;
    }
    assertThat(checked, greaterThan(4800));
  }

  @Test
  public void semanticallyMalformedEventsFailTheSchemasWhereTheirReasonSays() throws IOException {
    WorkloadGenerator g =
        new WorkloadGenerator(
            WorkloadSpec.defaults().withMalformedShare(0.5).withClockSkewEnabled(true).withSeed(4));
    Map<ReasonCode, Integer> checked = new EnumMap<>(ReasonCode.class);
    for (int i = 0; i < 2000; i++) {
      Delivery d = g.delivery(i);
      if (d.kind() != Delivery.Kind.MALFORMED) {
        continue;
      }
      ReasonCode reason = d.expectedReason();
      switch (reason) {
        case ENVELOPE_INVALID:
          assertThat(
              reason + " at " + i,
              registry.validateEnvelope(MAPPER.readTree(d.bytes())),
              is(not(empty())));
          break;
        case UNKNOWN_EVENT_TYPE:
          assertThat(
              registry.isRegistered(MAPPER.readTree(d.bytes()).get("event_type").asText()),
              is(false));
          break;
        case UNKNOWN_SCHEMA_VERSION:
          {
            JsonNode e = MAPPER.readTree(d.bytes());
            assertThat(registry.validateEnvelope(e), is(empty()));
            assertThat(
                registry.isKnown(e.get("event_type").asText(), e.get("schema_version").asInt()),
                is(false));
            break;
          }
        case PAYLOAD_INVALID:
          {
            JsonNode e = MAPPER.readTree(d.bytes());
            assertThat(registry.validateEnvelope(e), is(empty()));
            assertThat(
                registry.validatePayload(
                    e.get("event_type").asText(),
                    e.get("schema_version").asInt(),
                    e.get("payload")),
                is(not(empty())));
            break;
          }
        case OCCURRED_IN_FUTURE:
        case OCCURRED_TOO_LONG_AGO:
          {
            // Valid but for the clock, which is judged against the arrival time outside the
            // schemas.
            JsonNode e = MAPPER.readTree(d.bytes());
            String type = e.get("event_type").asText();
            int version = e.get("schema_version").asInt();
            assertThat(reason + " at " + i, registry.validateEnvelope(e), is(empty()));
            assertThat(registry.isKnown(type, version), is(true));
            assertThat(registry.validatePayload(type, version, e.get("payload")), is(empty()));
            break;
          }
        default:
          // Byte- and syntax-level corruptions never reach the schemas. INVALID_TIMESTAMP neither:
          // "format" is an
          // annotation in JSON Schema 2020-12, so the timestamp rule is checked outside the
          // schemas.
          continue;
      }
      checked.merge(reason, 1, Integer::sum);
    }
    assertThat(
        checked.keySet(),
        is(
            EnumSet.of(
                ReasonCode.ENVELOPE_INVALID,
                ReasonCode.UNKNOWN_EVENT_TYPE,
                ReasonCode.UNKNOWN_SCHEMA_VERSION,
                ReasonCode.PAYLOAD_INVALID,
                ReasonCode.OCCURRED_IN_FUTURE,
                ReasonCode.OCCURRED_TOO_LONG_AGO)));
  }
}

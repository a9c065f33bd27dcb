package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.schemas.EventSchemaRegistry;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.validate.EventValidator;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The validator's outcomes (accepted event, or quarantine reason and detail) are identical with the
 * schema fast path and with the JSON-Schema library alone ({@link
 * EventSchemaRegistry#libraryOnly()}, the oracle): over a workload's deliveries, malformed mix
 * included, and over mutations of one valid event of every type at every property.
 */
@RunWith(JUnit4.class)
public class ValidationFastPathTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int DELIVERIES = 3_000;

  private final EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
  private final EventValidator fast = validator(registry);
  private final EventValidator oracle = validator(registry.libraryOnly());

  private static EventValidator validator(EventSchemaRegistry registry) {
    return new EventValidator(
        registry,
        new Pseudonymizer(KeyReference.dev().resolve()),
        ValidateEvents.DEFAULT_MAX_RECORD_BYTES,
        ValidateEvents.DEFAULT_MAX_NESTING_DEPTH,
        ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD.getMillis(),
        ValidateEvents.DEFAULT_MAX_EVENT_AGE.getMillis());
  }

  @Test
  public void generatedDeliveriesHaveTheSameOutcomes() {
    WorkloadGenerator generator =
        new WorkloadGenerator(WorkloadSpec.defaults().withDeliveries(DELIVERIES));
    List<String> differing = new ArrayList<>();
    int quarantined = 0;
    for (long i = 0; i < DELIVERIES; i++) {
      Delivery d = generator.delivery(i);
      RawRecord r = RawRecord.of(d.bytes(), SourceRef.generator("g", 0, i), d.arrivalMillis());
      EventValidator.Outcome expected = oracle.validate(r);
      String difference = compare(r, expected);
      if (difference != null) {
        differing.add(i + ": " + difference);
      }
      if (expected.event() == null) {
        quarantined++;
      }
    }
    assertThat(differing, empty());
    assertThat("the malformed mix is in the input", quarantined, greaterThan(10));
  }

  @Test
  public void mutatedEventsOfEveryTypeHaveTheSameOutcomes() throws Exception {
    WorkloadGenerator generator =
        new WorkloadGenerator(WorkloadSpec.defaults().withDeliveries(DELIVERIES));
    Set<String> typesSeen = new HashSet<>();
    List<String> differing = new ArrayList<>();
    Set<ReasonCode> reasons = EnumSet.noneOf(ReasonCode.class);
    int cases = 0;
    for (long i = 0; i < DELIVERIES && typesSeen.size() < registry.eventTypes().size(); i++) {
      Delivery d = generator.delivery(i);
      if (d.kind() != Delivery.Kind.ORIGINAL || !typesSeen.add(d.eventType())) {
        continue;
      }
      JsonNode event = MAPPER.readTree(d.bytes());
      List<JsonNode> mutations = new ArrayList<>();
      mutate(event, "", mutations);
      for (JsonNode m : mutations) {
        cases++;
        RawRecord r =
            RawRecord.of(
                MAPPER.writeValueAsBytes(m), SourceRef.generator("m", 0, cases), d.arrivalMillis());
        EventValidator.Outcome expected = oracle.validate(r);
        String difference = compare(r, expected);
        if (difference != null) {
          differing.add(difference + " on " + new String(r.payload(), StandardCharsets.UTF_8));
        }
        if (expected.quarantined() != null) {
          reasons.add(expected.quarantined().reason());
        }
      }
    }
    assertThat(typesSeen, equalTo(registry.eventTypes()));
    assertThat(cases, greaterThan(1000));
    assertThat(reasons, hasItems(ReasonCode.ENVELOPE_INVALID, ReasonCode.PAYLOAD_INVALID));
    assertThat(differing, empty());
  }

  /** Null if the fast path gives the library's outcome {@code b}, else what differs. */
  private String compare(RawRecord r, EventValidator.Outcome b) {
    EventValidator.Outcome a = fast.validate(r);
    if (a.event() != null) {
      return a.event().equals(b.event()) && a.unknownFieldsDropped() == b.unknownFieldsDropped()
          ? null
          : "fast path accepted as " + a.event() + ", library: " + describe(b);
    }
    return a.quarantined().equals(b.quarantined())
        ? null
        : "fast path: " + describe(a) + ", library: " + describe(b);
  }

  private static String describe(EventValidator.Outcome o) {
    return o.event() != null
        ? "accepted"
        : o.quarantined().reason() + " " + o.quarantined().detail();
  }

  private static List<JsonNode> replacements() {
    List<JsonNode> values = new ArrayList<>();
    values.add(NODES.nullNode());
    values.add(NODES.numberNode(7));
    values.add(NODES.objectNode());
    values.add(NODES.arrayNode().add(7));
    for (String s :
        new String[] {
          "", "12a", "123\n", "x".repeat(65), "\ud83d\ude00".repeat(65), "WEB", "not a date"
        }) {
      values.add(NODES.textNode(s));
    }
    return values;
  }

  /** Each property removed, replaced by each of {@link #replacements()}; an unknown one added. */
  private static void mutate(JsonNode root, String path, List<JsonNode> out) {
    JsonNode node = path.isEmpty() ? root : root.at(path);
    if (node.isObject()) {
      ObjectNode added = root.deepCopy();
      ((ObjectNode) (path.isEmpty() ? added : added.at(path))).put("zz_unknown", "v");
      out.add(added);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        ObjectNode removed = root.deepCopy();
        ((ObjectNode) (path.isEmpty() ? removed : removed.at(path))).remove(name);
        out.add(removed);
        for (JsonNode v : replacements()) {
          ObjectNode replaced = root.deepCopy();
          ((ObjectNode) (path.isEmpty() ? replaced : replaced.at(path))).set(name, v);
          out.add(replaced);
        }
        mutate(root, path + "/" + name, out);
      }
    } else if (node.isArray() && node.size() > 0) {
      for (JsonNode v : replacements()) {
        ObjectNode replaced = root.deepCopy();
        ((ArrayNode) replaced.at(path)).set(0, v);
        out.add(replaced);
      }
      mutate(root, path + "/0", out);
    }
  }
}

package io.collabpipeline.transforms.pii;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.schemas.DerivedFact;
import io.collabpipeline.schemas.FieldClassification;
import io.collabpipeline.schemas.ObjectClassification;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Minimizes a validated JSON object according to its schema's privacy classification, and writes
 * the result as canonical JSON (object keys sorted by code unit, no insignificant white space), so
 * equal payloads have equal bytes.
 *
 * <ul>
 *   <li>{@code none}: kept; objects are minimized recursively by their declared sub-properties;
 *   <li>{@code identifier}: replaced by its {@link Pseudonymizer pseudonym} (each item, for an
 *       array);
 *   <li>{@code direct_pii}, {@code free_text}: removed;
 *   <li>any class: each declared derived fact is added as {@code <field>_<fact>} ({@code
 *       text_length} = code points of the string, {@code <field>_count} = items of the array);
 *   <li>a property the schema does not declare: removed (private by default) and counted in {@link
 *       Result#unknownFieldsDropped()}.
 * </ul>
 *
 * Not thread-safe (it uses a {@link Pseudonymizer}); create one per DoFn instance.
 */
public final class PayloadMinimizer {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Pseudonymizer pseudonymizer;
  private final ObjectMapper mapper;

  public PayloadMinimizer(Pseudonymizer pseudonymizer, ObjectMapper mapper) {
    this.pseudonymizer = pseudonymizer;
    this.mapper = mapper;
  }

  /** The canonical JSON of the minimized object and how many unclassified properties it dropped. */
  public static final class Result {
    private final String json;
    private final int unknownFieldsDropped;

    Result(String json, int unknownFieldsDropped) {
      this.json = json;
      this.unknownFieldsDropped = unknownFieldsDropped;
    }

    public String json() {
      return json;
    }

    public int unknownFieldsDropped() {
      return unknownFieldsDropped;
    }
  }

  /**
   * Minimizes {@code object} (an object validated against the schema {@code classification} was
   * read from).
   */
  public Result minimize(JsonNode object, ObjectClassification classification) {
    int[] dropped = new int[1];
    ObjectNode out = minimizeObject(object, classification, dropped);
    try {
      return new Result(mapper.writeValueAsString(out), dropped[0]);
    } catch (JsonProcessingException e) {
      // Writing a tree we built ourselves to a String cannot fail on I/O; keep the cause out of the
      // message.
      throw new IllegalStateException("cannot serialize a minimized payload", e);
    }
  }

  private ObjectNode minimizeObject(
      JsonNode object, ObjectClassification classification, int[] dropped) {
    // Output keys (derived facts included) are sorted once, then inserted in order: ObjectNode
    // keeps insertion order.
    TreeMap<String, JsonNode> sorted = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      JsonNode value = entry.getValue();
      FieldClassification field = classification.field(name);
      if (field == null) {
        dropped[0]++;
        continue;
      }
      for (DerivedFact fact : field.derivedFacts()) {
        JsonNode derived = derive(fact, value);
        if (derived != null) {
          sorted.put(fact.outputName(name), derived);
        }
      }
      JsonNode kept = minimizeValue(value, field, dropped);
      if (kept != null) {
        sorted.put(name, kept);
      }
    }
    ObjectNode out = NODES.objectNode();
    for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
      out.set(e.getKey(), e.getValue());
    }
    return out;
  }

  private JsonNode minimizeValue(JsonNode value, FieldClassification field, int[] dropped) {
    switch (field.privacyClass()) {
      case NONE:
        return keep(value, field, dropped);
      case IDENTIFIER:
        return pseudonymize(value);
      default:
        return null;
    }
  }

  private JsonNode keep(JsonNode value, FieldClassification field, int[] dropped) {
    if (value.isObject()) {
      return minimizeObject(
          value, field.nested() == null ? ObjectClassification.empty() : field.nested(), dropped);
    }
    if (value.isArray()) {
      ArrayNode out = NODES.arrayNode(value.size());
      for (JsonNode item : value) {
        if (item.isObject()) {
          out.add(
              minimizeObject(
                  item,
                  field.nested() == null ? ObjectClassification.empty() : field.nested(),
                  dropped));
        } else if (item.isArray()) {
          dropped[0]++; // nested arrays are never declared by the contract: private by default
        } else {
          out.add(item);
        }
      }
      return out;
    }
    return value;
  }

  private JsonNode pseudonymize(JsonNode value) {
    if (value.isNull()) {
      return value;
    }
    if (value.isValueNode()) {
      return NODES.textNode(pseudonymizer.pseudonymize(value.asText()));
    }
    if (value.isArray()) {
      ArrayNode out = NODES.arrayNode(value.size());
      for (JsonNode item : value) {
        if (item.isValueNode() && !item.isNull()) {
          out.add(pseudonymizer.pseudonymize(item.asText()));
        }
      }
      return out;
    }
    return null; // an object cannot be pseudonymized: drop it
  }

  private static JsonNode derive(DerivedFact fact, JsonNode value) {
    switch (fact) {
      case LENGTH:
        if (value.isTextual()) {
          String s = value.textValue();
          return NODES.numberNode(s.codePointCount(0, s.length()));
        }
        return null;
      case COUNT:
        return value.isArray() ? NODES.numberNode(value.size()) : null;
      default:
        return null;
    }
  }
}

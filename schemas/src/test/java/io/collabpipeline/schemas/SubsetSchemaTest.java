package io.collabpipeline.schemas;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The fast path never accepts what the JSON-Schema library rejects, and on the contract's schemas
 * answers as the library does: the oracle is the library itself (the registry's {@link
 * EventSchemaRegistry#libraryOnly()} view), over a valid instance of every shipped schema and
 * systematic mutations of every property in it.
 */
@RunWith(JUnit4.class)
public class SubsetSchemaTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A hand-picked string matching each pattern of the contract (checked by the library below). */
  private static final Map<String, String> PATTERN_EXAMPLES =
      Map.of(
          "^[0-9]{1,20}$", "12345",
          "^[A-Za-z0-9_-]{8,64}$", "evt_0001-AB",
          "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
              "2026-11-02T08:00:01.5+01:00",
          "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "2026-11-02");

  private final EventSchemaRegistry library = EventSchemaRegistry.loadDefault().libraryOnly();

  /** One schema of the contract with the library's verdict on a document. */
  private static final class Target {
    final String name;
    final JsonNode schema;
    final Function<JsonNode, Boolean> libraryValid;

    Target(String name, JsonNode schema, Function<JsonNode, Boolean> libraryValid) {
      this.name = name;
      this.schema = schema;
      this.libraryValid = libraryValid;
    }
  }

  private List<Target> targets() {
    List<Target> out = new ArrayList<>();
    out.add(
        new Target(
            "envelope", library.envelopeSchema(), d -> library.validateEnvelope(d).isEmpty()));
    for (String type : library.eventTypes()) {
      for (int v : library.versions(type)) {
        out.add(
            new Target(
                type + " v" + v,
                library.payloadSchema(type, v),
                d -> library.validatePayload(type, v, d).isEmpty()));
      }
    }
    return out;
  }

  @Test
  public void everyShippedSchemaIsWithinTheSubset() {
    for (Target t : targets()) {
      assertThat(t.name, SubsetSchema.compile(t.schema), notNullValue());
    }
  }

  @Test
  public void aSchemaUsingAnyOtherKeywordIsLeftToTheLibrary() throws Exception {
    String[] outside = {
      "{\"type\":\"object\",\"additionalProperties\":false}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"maximum\":3}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":[\"string\",\"null\"]}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[1,2]}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/x\"}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":true}}}",
      "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":1.5}}}",
    };
    for (String schema : outside) {
      assertThat(schema, SubsetSchema.compile(MAPPER.readTree(schema)), nullValue());
    }
  }

  /**
   * A pattern checked without the regex engine matches exactly the strings the registry's JDK
   * pattern finds, and a pattern of any other form is left to the engine.
   */
  @Test
  public void simplePatternsMatchAsTheRegexEngineDoes() {
    String[] patterns = {"^[0-9]{1,20}$", "^[A-Za-z0-9_-]{8,64}$", "^[a-c_]{0,2}$", "^[Z-a]{1,1}$"};
    String[] inputs = {
      "",
      "0",
      "9",
      "a",
      "b",
      "c",
      "d",
      "_",
      "-",
      "A",
      "z",
      "Z",
      "[",
      "`",
      "ab",
      "abc",
      "a_",
      "12345678",
      "1234567",
      "evt_0001-AB",
      "x".repeat(64),
      "x".repeat(65),
      "1".repeat(20),
      "1".repeat(21),
      "12\n",
      "\n12",
      "1 2",
      "\u0661",
      "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
      "\ud83d\ude00",
      "abcdefgh\u0000",
      "ABCDEFGH\u212a"
    };
    for (String p : patterns) {
      SubsetSchema.CharRun run = SubsetSchema.CharRun.of(p);
      assertThat(p, run, notNullValue());
      java.util.regex.Pattern engine =
          java.util.regex.Pattern.compile(EcmaRegularExpressionFactory.toJava(p));
      for (String in : inputs) {
        assertThat(p + " on " + in, run.matches(in), equalTo(engine.matcher(in).find()));
      }
    }
    for (String other :
        new String[] {
          "^[0-9]{4}-[0-9]{2}$",
          "^[^0-9]{1,2}$",
          "^[a-]{1,2}$".replace("a-", "a-b-c"),
          "[0-9]{1,2}$",
          "^[0-9]{1,2}",
          "^[0-9]{1,}$",
          "^[\\d]{1,2}$",
          "^[a-z]{3,1}$",
          "^[z-a]{1,2}$"
        }) {
      assertThat(other, SubsetSchema.CharRun.of(other), nullValue());
    }
  }

  @Test
  public void agreesWithTheLibraryOnEveryMutationOfEveryProperty() {
    List<String> unsound = new ArrayList<>();
    List<String> differing = new ArrayList<>();
    int cases = 0;
    for (Target t : targets()) {
      SubsetSchema subset = SubsetSchema.compile(t.schema);
      JsonNode valid = example(t.schema);
      assertThat(t.name + " example is valid", t.libraryValid.apply(valid), equalTo(true));
      assertThat(t.name + " example accepted", subset.accepts(valid), equalTo(true));
      List<Mutation> mutations = new ArrayList<>();
      mutate(valid, "", mutations);
      for (Mutation m : mutations) {
        cases++;
        boolean libraryValid = t.libraryValid.apply(m.document);
        boolean accepted = subset.accepts(m.document);
        if (accepted && !libraryValid) {
          unsound.add(t.name + " " + m.what);
        } else if (accepted != libraryValid && !m.mayAskLibrary) {
          differing.add(t.name + " " + m.what + " (library: " + libraryValid + ")");
        }
      }
    }
    assertThat(cases, greaterThan(2000));
    assertThat("accepted though the library rejects", unsound, empty());
    assertThat("verdict differs from the library's", differing, empty());
  }

  /** A valid instance of a schema of the subset, built from the schema alone. */
  private static JsonNode example(JsonNode schema) {
    if (schema.has("enum")) {
      return schema.get("enum").get(0);
    }
    switch (schema.path("type").asText()) {
      case "object":
        ObjectNode o = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> p = it.next();
          o.set(p.getKey(), example(p.getValue()));
        }
        return o;
      case "array":
        ArrayNode a = NODES.arrayNode();
        if (schema.has("items")) {
          a.add(example(schema.get("items")));
        }
        return a;
      case "integer":
        return NODES.numberNode(schema.path("minimum").asLong(1) + 1);
      case "string":
        if (schema.has("pattern")) {
          String example = PATTERN_EXAMPLES.get(schema.get("pattern").textValue());
          if (example == null) {
            throw new AssertionError("add an example for pattern " + schema.get("pattern"));
          }
          return NODES.textNode(example);
        }
        return NODES.textNode("x".repeat(Math.max(1, schema.path("minLength").asInt(1))));
      default:
        throw new AssertionError("no example for " + schema);
    }
  }

  private static final class Mutation {
    final String what;
    final JsonNode document;
    final boolean mayAskLibrary;

    Mutation(String what, JsonNode document, boolean mayAskLibrary) {
      this.what = what;
      this.document = document;
      this.mayAskLibrary = mayAskLibrary;
    }
  }

  /** Replacement values for any property: wrong types, empty, too long, off-pattern, off-enum. */
  private static List<JsonNode> replacements() {
    List<JsonNode> values = new ArrayList<>();
    values.add(NODES.nullNode());
    values.add(NODES.numberNode(7));
    values.add(NODES.numberNode(0));
    values.add(NODES.numberNode(-1));
    values.add(NODES.numberNode(Long.MAX_VALUE));
    values.add(NODES.numberNode(new BigDecimal("1.5")));
    values.add(NODES.booleanNode(true));
    values.add(NODES.objectNode());
    values.add(NODES.objectNode().put("x", "y"));
    values.add(NODES.arrayNode());
    values.add(NODES.arrayNode().add(7));
    values.add(NODES.arrayNode().add(""));
    values.add(NODES.arrayNode().add("12345").add("12a"));
    for (String s :
        new String[] {
          "",
          "1",
          "12a",
          "123\n",
          "\n123",
          " 123",
          "12 3",
          "\u0661\u0662\u0663", // Arabic-Indic digits: not [0-9] in either regex dialect
          "1".repeat(20),
          "1".repeat(21),
          "evt_\u00e9000000",
          "evt_0001",
          "evt_001",
          "e".repeat(64),
          "e".repeat(65),
          "x".repeat(10_000),
          "\ud83d\ude00".repeat(64), // 64 code points, 128 UTF-16 units
          "\ud83d\ude00".repeat(65),
          "WEB",
          "web ",
          "unknown",
          "web",
          "user",
          "2026-11-02T08:00:01Z",
          "2026-11-02T08:00:01Z\n",
          "2026-13-45T99:99:99Z",
          "not a date",
          "2026-11-02",
          "2026-1-2",
        }) {
      values.add(NODES.textNode(s));
    }
    return values;
  }

  /** Whole-valued decimals and big integers: the fast path leaves these to the library. */
  private static List<JsonNode> conservativeReplacements() {
    return List.of(
        NODES.numberNode(new BigDecimal("1.0")),
        NODES.numberNode(new BigDecimal("2")),
        NODES.numberNode(BigInteger.ONE.shiftLeft(70)));
  }

  /**
   * Every mutation of the document at and below {@code path}: each property removed, replaced by
   * every value of {@link #replacements()}, and an unknown property added to every object.
   */
  private static void mutate(JsonNode root, String path, List<Mutation> out) {
    JsonNode node = at(root, path);
    if (node.isObject()) {
      ObjectNode added = root.deepCopy();
      ((ObjectNode) at(added, path)).put("zz_unknown", "v");
      out.add(new Mutation(path + "/zz_unknown added", added, false));
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        String child = path + "/" + name;
        ObjectNode removed = root.deepCopy();
        ((ObjectNode) at(removed, path)).remove(name);
        out.add(new Mutation(child + " removed", removed, false));
        replaceAll(root, path, name, child, out);
        mutate(root, child, out);
      }
    } else if (node.isArray() && node.size() > 0) {
      replaceAll(root, path, "0", path + "/0", out);
      ObjectNode appended = root.deepCopy();
      ((ArrayNode) at(appended, path)).add(7);
      out.add(new Mutation(path + " + item 7", appended, false));
      mutate(root, path + "/0", out);
    }
  }

  private static void replaceAll(
      JsonNode root, String parentPath, String key, String child, List<Mutation> out) {
    for (JsonNode v : replacements()) {
      out.add(
          new Mutation(child + " = " + abbreviated(v), replaced(root, parentPath, key, v), false));
    }
    for (JsonNode v : conservativeReplacements()) {
      out.add(new Mutation(child + " = " + v, replaced(root, parentPath, key, v), true));
    }
  }

  private static JsonNode replaced(JsonNode root, String parentPath, String key, JsonNode value) {
    JsonNode copy = root.deepCopy();
    JsonNode parent = at(copy, parentPath);
    if (parent.isArray()) {
      ((ArrayNode) parent).set(Integer.parseInt(key), value);
    } else {
      ((ObjectNode) parent).set(key, value);
    }
    return copy;
  }

  private static JsonNode at(JsonNode root, String path) {
    return path.isEmpty() ? root : root.at(path);
  }

  private static String abbreviated(JsonNode v) {
    String s = v.toString();
    return s.length() > 24 ? s.substring(0, 24) + "…(" + s.length() + ")" : s;
  }
}

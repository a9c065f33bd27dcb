package io.collabpipeline.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The privacy classification of the declared properties of one object schema (the envelope, a
 * payload, or a nested object), read from the {@code x-privacy} / {@code x-derive} keywords. A
 * property that is not declared here is <em>unclassified</em>, and the minimizer treats it as
 * private (drops it). Immutable; fields in name order.
 */
public final class ObjectClassification {
  private static final ObjectClassification EMPTY = new ObjectClassification(new TreeMap<>());

  private final Map<String, FieldClassification> fields;

  private ObjectClassification(TreeMap<String, FieldClassification> fields) {
    this.fields = Collections.unmodifiableMap(fields);
  }

  /** A classification that declares nothing: every property is unclassified. */
  public static ObjectClassification empty() {
    return EMPTY;
  }

  /** The declared properties, by name, in name order. */
  public Map<String, FieldClassification> fields() {
    return fields;
  }

  /** The classification of a declared property, or {@code null} if the property is unclassified. */
  public FieldClassification field(String name) {
    return fields.get(name);
  }

  /**
   * Every declared property, nested ones included, as JSON pointer to class, e.g. {@code
   * /actor/email -> direct_pii}. Array items share their property's pointer.
   */
  public Map<String, PrivacyClass> flatten() {
    Map<String, PrivacyClass> out = new TreeMap<>();
    flattenInto("", out);
    return Collections.unmodifiableMap(out);
  }

  private void flattenInto(String prefix, Map<String, PrivacyClass> out) {
    for (FieldClassification f : fields.values()) {
      String pointer = prefix + "/" + f.name();
      out.put(pointer, f.privacyClass());
      if (f.nested() != null) {
        f.nested().flattenInto(pointer, out);
      }
    }
  }

  /**
   * Reads the classification of an object schema. Every entry of {@code properties} (at every
   * depth, including properties of array items) must carry a valid {@code x-privacy}; {@code
   * x-derive} is optional.
   *
   * @param schema an object schema node
   * @param where names the schema in error messages
   * @throws SchemaDefinitionException if a property is unclassified or a keyword value is invalid
   */
  public static ObjectClassification fromSchema(JsonNode schema, String where) {
    return read(schema, where, "");
  }

  private static ObjectClassification read(JsonNode schema, String where, String pointer) {
    JsonNode properties = schema.get("properties");
    if (properties == null) {
      return EMPTY;
    }
    if (!properties.isObject()) {
      throw new SchemaDefinitionException(where + ": " + pointer + "/properties is not an object");
    }
    TreeMap<String, FieldClassification> fields = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode property = e.getValue();
      String at = pointer + "/properties/" + name;
      fields.put(name, readField(name, property, where, at));
    }
    return new ObjectClassification(fields);
  }

  private static FieldClassification readField(
      String name, JsonNode property, String where, String at) {
    JsonNode privacy = property.get(PrivacyClass.KEYWORD);
    if (privacy == null) {
      throw new SchemaDefinitionException(
          where
              + ": property "
              + at
              + " has no "
              + PrivacyClass.KEYWORD
              + " (every property must be classified: none, identifier, direct_pii or free_text)");
    }
    if (!privacy.isTextual()) {
      throw new SchemaDefinitionException(
          where + ": " + at + "/" + PrivacyClass.KEYWORD + " is not a string");
    }
    PrivacyClass privacyClass;
    try {
      privacyClass = PrivacyClass.fromKeyword(privacy.asText());
    } catch (IllegalArgumentException e) {
      throw new SchemaDefinitionException(where + ": " + at + ": " + e.getMessage(), e);
    }
    Set<DerivedFact> derived = EnumSet.noneOf(DerivedFact.class);
    JsonNode derive = property.get(DerivedFact.KEYWORD);
    if (derive != null) {
      if (!derive.isArray()) {
        throw new SchemaDefinitionException(
            where + ": " + at + "/" + DerivedFact.KEYWORD + " is not an array");
      }
      for (JsonNode d : derive) {
        try {
          derived.add(DerivedFact.fromKeyword(d.asText()));
        } catch (IllegalArgumentException e) {
          throw new SchemaDefinitionException(where + ": " + at + ": " + e.getMessage(), e);
        }
      }
    }
    boolean array = hasType(property, "array");
    ObjectClassification nested = null;
    if (property.has("properties")) {
      nested = read(property, where, at);
    } else if (array && property.path("items").has("properties")) {
      nested = read(property.get("items"), where, at + "/items");
    }
    return new FieldClassification(name, privacyClass, derived, array, nested);
  }

  private static boolean hasType(JsonNode schema, String type) {
    JsonNode t = schema.get("type");
    if (t == null) {
      return false;
    }
    if (t.isTextual()) {
      return t.asText().equals(type);
    }
    for (JsonNode each : t) {
      if (each.asText().equals(type)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return fields.values().toString();
  }
}

package io.collabpipeline.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks that version N of a payload schema can replace version N-1 without breaking anyone: every
 * document valid under N-1 stays valid under N, every field keeps its meaning, and no field becomes
 * less protected.
 *
 * <p>Reported, at every depth (nested object properties and array items included):
 *
 * <ul>
 *   <li>{@link Kind#FIELD_REMOVED}: a declared property is gone;
 *   <li>{@link Kind#TYPE_CHANGED}: the {@code type} differs (narrowed or otherwise changed);
 *   <li>{@link Kind#FORMAT_CHANGED}, {@link Kind#PATTERN_CHANGED}: {@code format} or {@code
 *       pattern} added, removed or changed;
 *   <li>{@link Kind#ENUM_VALUE_REMOVED}: an allowed value is gone, or an enum appears where there
 *       was none;
 *   <li>{@link Kind#CONSTRAINT_NARROWED}: a length, item-count or numeric bound got tighter, or
 *       appeared;
 *   <li>{@link Kind#PRIVACY_RELAXED}: {@code x-privacy} moved to a less protected class, or a
 *       derived fact was added;
 *   <li>{@link Kind#NEWLY_REQUIRED_WITHOUT_DEFAULT}: a property became required and declares no
 *       {@code default};
 *   <li>{@link Kind#ADDITIONAL_PROPERTIES_CLOSED}: {@code additionalProperties} became {@code
 *       false}.
 * </ul>
 *
 * Adding an optional property, adding an enum value, or loosening a bound is compatible.
 */
public final class SchemaCompatibility {

  /** What kind of break a violation is. */
  public enum Kind {
    FIELD_REMOVED,
    TYPE_CHANGED,
    FORMAT_CHANGED,
    PATTERN_CHANGED,
    ENUM_VALUE_REMOVED,
    CONSTRAINT_NARROWED,
    PRIVACY_RELAXED,
    NEWLY_REQUIRED_WITHOUT_DEFAULT,
    ADDITIONAL_PROPERTIES_CLOSED
  }

  /**
   * One incompatibility: its kind, the JSON pointer of the schema location in version N, and an
   * explanation.
   */
  public static final class Violation {
    private final Kind kind;
    private final String pointer;
    private final String message;

    Violation(Kind kind, String pointer, String message) {
      this.kind = kind;
      this.pointer = pointer;
      this.message = message;
    }

    public Kind kind() {
      return kind;
    }

    /** Pointer into the schema, e.g. {@code /properties/role}. */
    public String pointer() {
      return pointer;
    }

    public String message() {
      return message;
    }

    @Override
    public String toString() {
      return kind + " at " + (pointer.isEmpty() ? "/" : pointer) + ": " + message;
    }
  }

  private static final String[] LOWER_BOUNDS = {
    "minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties"
  };
  private static final String[] UPPER_BOUNDS = {
    "maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties"
  };

  private SchemaCompatibility() {}

  /**
   * The violations of replacing {@code older} (version N-1) by {@code newer} (version N); empty if
   * compatible.
   */
  public static List<Violation> check(JsonNode older, JsonNode newer) {
    List<Violation> out = new ArrayList<>();
    compareSchemas(older, newer, "", out);
    return Collections.unmodifiableList(out);
  }

  private static void compareSchemas(
      JsonNode older, JsonNode newer, String at, List<Violation> out) {
    compareType(older, newer, at, out);
    compareText(older, newer, "format", Kind.FORMAT_CHANGED, at, out);
    compareText(older, newer, "pattern", Kind.PATTERN_CHANGED, at, out);
    compareEnum(older, newer, at, out);
    compareBounds(older, newer, at, out);
    comparePrivacy(older, newer, at, out);
    compareAdditionalProperties(older, newer, at, out);
    compareRequired(older, newer, at, out);

    JsonNode oldProps = older.path("properties");
    JsonNode newProps = newer.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = oldProps.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String where = at + "/properties/" + e.getKey();
      JsonNode replacement = newProps.get(e.getKey());
      if (replacement == null) {
        out.add(
            new Violation(Kind.FIELD_REMOVED, where, "property '" + e.getKey() + "' was removed"));
      } else {
        compareSchemas(e.getValue(), replacement, where, out);
      }
    }
    JsonNode oldItems = older.get("items");
    JsonNode newItems = newer.get("items");
    if (oldItems != null && oldItems.isObject()) {
      if (newItems == null || !newItems.isObject()) {
        out.add(
            new Violation(
                Kind.TYPE_CHANGED, at + "/items", "the item schema was removed or replaced"));
      } else {
        compareSchemas(oldItems, newItems, at + "/items", out);
      }
    } else if (oldItems == null && newItems != null && newItems.isObject() && !newItems.isEmpty()) {
      out.add(new Violation(Kind.CONSTRAINT_NARROWED, at + "/items", "an item schema was added"));
    }
  }

  private static void compareType(JsonNode older, JsonNode newer, String at, List<Violation> out) {
    Set<String> o = types(older.get("type"));
    Set<String> n = types(newer.get("type"));
    if (!o.equals(n)) {
      out.add(
          new Violation(
              Kind.TYPE_CHANGED,
              at + "/type",
              "type changed from " + describe(o) + " to " + describe(n)));
    }
  }

  private static void compareText(
      JsonNode older, JsonNode newer, String keyword, Kind kind, String at, List<Violation> out) {
    String o = older.path(keyword).asText(null);
    String n = newer.path(keyword).asText(null);
    if (!Objects.equals(o, n)) {
      out.add(
          new Violation(
              kind, at + "/" + keyword, keyword + " changed from " + quote(o) + " to " + quote(n)));
    }
  }

  private static void compareEnum(JsonNode older, JsonNode newer, String at, List<Violation> out) {
    JsonNode o = older.get("enum");
    JsonNode n = newer.get("enum");
    if (n == null) {
      return;
    }
    if (o == null) {
      out.add(
          new Violation(
              Kind.ENUM_VALUE_REMOVED,
              at + "/enum",
              "an enum now restricts a field that had none"));
      return;
    }
    for (JsonNode value : o) {
      boolean kept = false;
      for (JsonNode candidate : n) {
        if (candidate.equals(value)) {
          kept = true;
          break;
        }
      }
      if (!kept) {
        out.add(
            new Violation(
                Kind.ENUM_VALUE_REMOVED, at + "/enum", "enum value " + value + " was removed"));
      }
    }
  }

  private static void compareBounds(
      JsonNode older, JsonNode newer, String at, List<Violation> out) {
    for (String k : LOWER_BOUNDS) {
      JsonNode o = older.get(k);
      JsonNode n = newer.get(k);
      if (n != null
          && n.isNumber()
          && (o == null || !o.isNumber() || n.decimalValue().compareTo(o.decimalValue()) > 0)) {
        out.add(
            new Violation(
                Kind.CONSTRAINT_NARROWED, at + "/" + k, k + " raised from " + o + " to " + n));
      }
    }
    for (String k : UPPER_BOUNDS) {
      JsonNode o = older.get(k);
      JsonNode n = newer.get(k);
      if (n != null
          && n.isNumber()
          && (o == null || !o.isNumber() || n.decimalValue().compareTo(o.decimalValue()) < 0)) {
        out.add(
            new Violation(
                Kind.CONSTRAINT_NARROWED, at + "/" + k, k + " lowered from " + o + " to " + n));
      }
    }
  }

  private static void comparePrivacy(
      JsonNode older, JsonNode newer, String at, List<Violation> out) {
    PrivacyClass o = privacy(older);
    PrivacyClass n = privacy(newer);
    if (o != null && (n == null || n.protection() < o.protection())) {
      out.add(
          new Violation(
              Kind.PRIVACY_RELAXED,
              at + "/" + PrivacyClass.KEYWORD,
              "privacy relaxed from "
                  + o.keyword()
                  + " to "
                  + (n == null ? "unclassified" : n.keyword())));
    }
    Set<String> oldDerived = texts(older.get(DerivedFact.KEYWORD));
    for (String d : texts(newer.get(DerivedFact.KEYWORD))) {
      if (!oldDerived.contains(d)) {
        out.add(
            new Violation(
                Kind.PRIVACY_RELAXED,
                at + "/" + DerivedFact.KEYWORD,
                "derived fact '" + d + "' was added"));
      }
    }
  }

  private static void compareAdditionalProperties(
      JsonNode older, JsonNode newer, String at, List<Violation> out) {
    JsonNode o = older.get("additionalProperties");
    JsonNode n = newer.get("additionalProperties");
    boolean wasClosed = o != null && o.isBoolean() && !o.booleanValue();
    boolean isClosed = n != null && n.isBoolean() && !n.booleanValue();
    if (isClosed && !wasClosed) {
      out.add(
          new Violation(
              Kind.ADDITIONAL_PROPERTIES_CLOSED,
              at + "/additionalProperties",
              "additionalProperties became false: documents with extra properties would be rejected"));
    }
  }

  private static void compareRequired(
      JsonNode older, JsonNode newer, String at, List<Violation> out) {
    Set<String> was = texts(older.get("required"));
    for (String name : texts(newer.get("required"))) {
      if (!was.contains(name) && !newer.path("properties").path(name).has("default")) {
        out.add(
            new Violation(
                Kind.NEWLY_REQUIRED_WITHOUT_DEFAULT,
                at + "/required",
                "'" + name + "' became required without a default: older documents would fail"));
      }
    }
  }

  private static PrivacyClass privacy(JsonNode schema) {
    JsonNode p = schema.get(PrivacyClass.KEYWORD);
    if (p == null || !p.isTextual()) {
      return null;
    }
    try {
      return PrivacyClass.fromKeyword(p.asText());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Set<String> types(JsonNode type) {
    Set<String> out = new TreeSet<>();
    if (type == null) {
      return out;
    }
    if (type.isTextual()) {
      out.add(type.asText());
    } else {
      for (JsonNode t : type) {
        out.add(t.asText());
      }
    }
    return out;
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> out = new TreeSet<>();
    if (array != null && array.isArray()) {
      for (JsonNode t : array) {
        out.add(t.asText());
      }
    }
    return out;
  }

  private static String describe(Set<String> types) {
    return types.isEmpty() ? "any" : String.join("|", types);
  }

  private static String quote(String s) {
    return s == null ? "none" : "'" + s + "'";
  }
}

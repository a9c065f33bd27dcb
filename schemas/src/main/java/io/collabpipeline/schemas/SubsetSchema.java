package io.collabpipeline.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A schema compiled for the small subset of JSON Schema 2020-12 the contract uses, answering only
 * "certainly valid" ({@link #accepts} true) or "ask the library" (false). The registry accepts a
 * document on a true without calling the JSON-Schema library, and on a false calls the library as
 * before, so the error list of an invalid document is always the library's.
 *
 * <p>Why it can never accept what the library rejects: it {@linkplain #compile compiles} only
 * schemas made of the keywords below, every one of which it checks at least as strictly as the
 * library does; any other keyword (or form of one) makes the whole schema {@code null}, and the
 * registry then always asks the library. Where the library's rule has corner cases, this answers
 * false and lets the library decide:
 *
 * <ul>
 *   <li>{@code type}: a single name among string, integer, object, array, boolean; an integer only
 *       as a JSON integer (a whole decimal such as {@code 1.0} goes to the library);
 *   <li>{@code properties}, {@code required}, {@code items} (a schema, applied to every item);
 *   <li>{@code enum} of strings only (a document value that is not a string goes to the library);
 *   <li>{@code pattern}: the same JDK pattern the registry's {@link EcmaRegularExpressionFactory}
 *       compiles, matched the same way ({@code find}); a pattern of the form {@code ^[class]{m,n}$}
 *       as a {@link CharRun}, without the regex engine;
 *   <li>{@code minLength} and {@code maxLength}, in code points (as the library counts);
 *   <li>{@code minimum}: an integer bound, compared with a document's int or long (any other number
 *       goes to the library);
 *   <li>{@code format}: not checked, as the registry runs the library with format assertions off
 *       (format is an annotation in draft 2020-12);
 *   <li>{@code $schema}, {@code $id}, {@code $comment}, {@code title}, {@code description} and the
 *       contract's own non-validating {@code x-privacy} and {@code x-derive}.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class SubsetSchema {
  private static final Set<String> ANNOTATIONS =
      Set.of(
          "$schema",
          "$id",
          "$comment",
          "title",
          "description",
          "format",
          PrivacyClass.KEYWORD,
          DerivedFact.KEYWORD);

  private static final int STRING = 1;
  private static final int INTEGER = 2;
  private static final int OBJECT = 4;
  private static final int ARRAY = 8;
  private static final int BOOLEAN = 16;

  private final int type;
  private final String[] propertyNames;
  private final SubsetSchema[] propertySchemas;
  private final String[] required;
  private final SubsetSchema items;
  private final Set<String> enumValues;
  private final Pattern pattern;
  private final CharRun run;
  private final int minLength;
  private final int maxLength;
  private final boolean hasMinimum;
  private final long minimum;

  private SubsetSchema(
      int type,
      String[] propertyNames,
      SubsetSchema[] propertySchemas,
      String[] required,
      SubsetSchema items,
      Set<String> enumValues,
      Pattern pattern,
      CharRun run,
      int minLength,
      int maxLength,
      boolean hasMinimum,
      long minimum) {
    this.type = type;
    this.propertyNames = propertyNames;
    this.propertySchemas = propertySchemas;
    this.required = required;
    this.items = items;
    this.enumValues = enumValues;
    this.pattern = pattern;
    this.run = run;
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.hasMinimum = hasMinimum;
    this.minimum = minimum;
  }

  /** Thrown inside {@link #compile} for a keyword or form this class does not implement. */
  private static final class Unsupported extends Exception {
    private static final long serialVersionUID = 1L;

    Unsupported(String what) {
      super(what, null, false, false);
    }
  }

  /**
   * The compiled form of a schema document, or null if it uses anything outside the subset (then
   * every document of that schema goes to the library).
   */
  static SubsetSchema compile(JsonNode schema) {
    try {
      return compileNode(schema);
    } catch (Unsupported e) {
      return null;
    }
  }

  /** Whether {@code instance} is certainly valid; false means "ask the library". */
  boolean accepts(JsonNode instance) {
    if (type != 0 && !hasType(instance)) {
      return false;
    }
    if (enumValues != null
        && !(instance.isTextual() && enumValues.contains(instance.textValue()))) {
      return false;
    }
    if (instance.isTextual()) {
      if (run != null
          ? !run.matches(instance.textValue())
          : pattern != null && !pattern.matcher(instance.textValue()).find()) {
        return false;
      }
      if (minLength >= 0 || maxLength >= 0) {
        String s = instance.textValue();
        int codePoints = s.codePointCount(0, s.length());
        if ((minLength >= 0 && codePoints < minLength)
            || (maxLength >= 0 && codePoints > maxLength)) {
          return false;
        }
      }
    } else if (hasMinimum && instance.isNumber()) {
      if (!(instance.isInt() || instance.isLong()) || instance.longValue() < minimum) {
        return false;
      }
    } else if (instance.isObject()) {
      for (String name : required) {
        if (instance.get(name) == null) {
          return false;
        }
      }
      for (int i = 0; i < propertyNames.length; i++) {
        JsonNode value = instance.get(propertyNames[i]);
        if (value != null && !propertySchemas[i].accepts(value)) {
          return false;
        }
      }
    } else if (items != null && instance.isArray()) {
      for (JsonNode item : instance) {
        if (!items.accepts(item)) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean hasType(JsonNode n) {
    switch (type) {
      case STRING:
        return n.isTextual();
      case INTEGER:
        return n.isInt() || n.isLong();
      case OBJECT:
        return n.isObject();
      case ARRAY:
        return n.isArray();
      case BOOLEAN:
        return n.isBoolean();
      default:
        return false;
    }
  }

  private static SubsetSchema compileNode(JsonNode schema) throws Unsupported {
    if (!schema.isObject()) {
      throw new Unsupported("a schema that is not an object");
    }
    int type = 0;
    List<String> names = new ArrayList<>();
    List<SubsetSchema> schemas = new ArrayList<>();
    List<String> required = new ArrayList<>();
    SubsetSchema items = null;
    Set<String> enumValues = null;
    Pattern pattern = null;
    CharRun run = null;
    int minLength = -1;
    int maxLength = -1;
    boolean hasMinimum = false;
    long minimum = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String keyword = e.getKey();
      JsonNode value = e.getValue();
      if (ANNOTATIONS.contains(keyword)) {
        continue;
      }
      switch (keyword) {
        case "type":
          type = typeOf(value);
          break;
        case "properties":
          if (!value.isObject()) {
            throw new Unsupported("properties");
          }
          for (Iterator<Map.Entry<String, JsonNode>> p = value.fields(); p.hasNext(); ) {
            Map.Entry<String, JsonNode> property = p.next();
            names.add(property.getKey());
            schemas.add(compileNode(property.getValue()));
          }
          break;
        case "required":
          if (!value.isArray()) {
            throw new Unsupported("required");
          }
          for (JsonNode name : value) {
            if (!name.isTextual()) {
              throw new Unsupported("required");
            }
            required.add(name.textValue());
          }
          break;
        case "items":
          items = compileNode(value);
          break;
        case "enum":
          if (!value.isArray() || value.isEmpty()) {
            throw new Unsupported("enum");
          }
          enumValues = new HashSet<>();
          for (JsonNode v : value) {
            if (!v.isTextual()) {
              throw new Unsupported("enum of non-strings");
            }
            enumValues.add(v.textValue());
          }
          break;
        case "pattern":
          if (!value.isTextual()) {
            throw new Unsupported("pattern");
          }
          pattern = Pattern.compile(EcmaRegularExpressionFactory.toJava(value.textValue()));
          run = CharRun.of(value.textValue());
          break;
        case "minLength":
          minLength = nonNegativeInt(value, keyword);
          break;
        case "maxLength":
          maxLength = nonNegativeInt(value, keyword);
          break;
        case "minimum":
          if (!(value.isInt() || value.isLong())) {
            throw new Unsupported("minimum");
          }
          hasMinimum = true;
          minimum = value.longValue();
          break;
        default:
          throw new Unsupported(keyword);
      }
    }
    return new SubsetSchema(
        type,
        names.toArray(new String[0]),
        schemas.toArray(new SubsetSchema[0]),
        required.toArray(new String[0]),
        items,
        enumValues,
        pattern,
        run,
        minLength,
        maxLength,
        hasMinimum,
        minimum);
  }

  private static int typeOf(JsonNode value) throws Unsupported {
    if (!value.isTextual()) {
      throw new Unsupported("type that is not a single name");
    }
    switch (value.textValue()) {
      case "string":
        return STRING;
      case "integer":
        return INTEGER;
      case "object":
        return OBJECT;
      case "array":
        return ARRAY;
      case "boolean":
        return BOOLEAN;
      default:
        throw new Unsupported("type " + value.textValue());
    }
  }

  private static int nonNegativeInt(JsonNode value, String keyword) throws Unsupported {
    if (!value.isInt() || value.intValue() < 0) {
      throw new Unsupported(keyword);
    }
    return value.intValue();
  }

  /**
   * A pattern of the form {@code ^[class]{m,n}$} whose class is ASCII letters, digits, {@code _}
   * and ranges of them (and a final {@code -}), checked without the regex engine: a string matches
   * exactly when it has m to n characters, each in the class (a character outside ASCII is in no
   * such class, so characters and code points count the same).
   */
  static final class CharRun {
    private static final Pattern FORM =
        Pattern.compile("\\^\\[([A-Za-z0-9_-]+)\\]\\{([0-9]{1,4}),([0-9]{1,4})\\}\\$");

    private final boolean[] allowed;
    private final int min;
    private final int max;

    private CharRun(boolean[] allowed, int min, int max) {
      this.allowed = allowed;
      this.min = min;
      this.max = max;
    }

    /** The run a pattern describes, or null if it is not of the simple form. */
    static CharRun of(String regex) {
      java.util.regex.Matcher m = FORM.matcher(regex);
      if (!m.matches()) {
        return null;
      }
      String body = m.group(1);
      boolean[] allowed = new boolean[128];
      int i = 0;
      while (i < body.length()) {
        char c = body.charAt(i);
        if (c == '-') {
          if (i != body.length() - 1) {
            return null; // a '-' that is not last: leave its meaning to the regex engine
          }
          allowed['-'] = true;
          i++;
        } else if (i + 2 < body.length() && body.charAt(i + 1) == '-') {
          char to = body.charAt(i + 2);
          if (to == '-' || to < c || Character.isLetter(c) != Character.isLetter(to)) {
            return null;
          }
          for (char x = c; x <= to; x++) {
            allowed[x] = true;
          }
          i += 3;
        } else {
          allowed[c] = true;
          i++;
        }
      }
      int min = Integer.parseInt(m.group(2));
      int max = Integer.parseInt(m.group(3));
      return min <= max ? new CharRun(allowed, min, max) : null;
    }

    boolean matches(String s) {
      int n = s.length();
      if (n < min || n > max) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 128 || !allowed[c]) {
          return false;
        }
      }
      return true;
    }
  }
}

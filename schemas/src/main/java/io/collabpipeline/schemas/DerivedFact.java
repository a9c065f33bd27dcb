package io.collabpipeline.schemas;

/**
 * A harmless fact about a field that the minimizer keeps when it removes or rewrites the field,
 * declared in the schema with {@code "x-derive": ["length"]}. The fact is written next to the field
 * as {@code <field>_<fact>}, e.g. a comment's {@code text} becomes {@code text_length}.
 */
public enum DerivedFact {
  /** The number of Unicode code points of a string value. */
  LENGTH("length"),
  /** The number of items of an array value. */
  COUNT("count");

  /** The schema keyword that lists a field's derived facts. */
  public static final String KEYWORD = "x-derive";

  private final String keyword;

  DerivedFact(String keyword) {
    this.keyword = keyword;
  }

  public String keyword() {
    return keyword;
  }

  /** The name of the output field for {@code field}, e.g. {@code text_length}. */
  public String outputName(String field) {
    return field + "_" + keyword;
  }

  /**
   * The fact named by an {@code x-derive} entry.
   *
   * @throws IllegalArgumentException if it names no known fact
   */
  public static DerivedFact fromKeyword(String value) {
    for (DerivedFact f : values()) {
      if (f.keyword.equals(value)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown " + KEYWORD + " entry '" + value + "' (expected length or count)");
  }
}

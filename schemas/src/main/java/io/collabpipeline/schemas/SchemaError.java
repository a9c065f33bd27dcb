package io.collabpipeline.schemas;

import java.util.Objects;

/**
 * One schema violation, described without any value from the validated document: the JSON pointer
 * of the failing location and the JSON Schema keyword that failed, e.g. {@code /actor/user_gid:
 * required}. Safe to log and to store in a quarantine record.
 */
public final class SchemaError implements Comparable<SchemaError> {
  private final String pointer;
  private final String keyword;

  public SchemaError(String pointer, String keyword) {
    this.pointer = Objects.requireNonNull(pointer, "pointer");
    this.keyword = Objects.requireNonNull(keyword, "keyword");
  }

  /** JSON pointer (RFC 6901) of the failing location; {@code ""} is the document itself. */
  public String pointer() {
    return pointer;
  }

  /** The failing keyword, e.g. {@code required}, {@code type}, {@code pattern}, {@code enum}. */
  public String keyword() {
    return keyword;
  }

  /** The same error located under {@code prefix}, e.g. {@code /payload}. */
  public SchemaError under(String prefix) {
    return new SchemaError(prefix + pointer, keyword);
  }

  @Override
  public int compareTo(SchemaError o) {
    int c = pointer.compareTo(o.pointer);
    return c != 0 ? c : keyword.compareTo(o.keyword);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SchemaError)) {
      return false;
    }
    SchemaError that = (SchemaError) o;
    return pointer.equals(that.pointer) && keyword.equals(that.keyword);
  }

  @Override
  public int hashCode() {
    return Objects.hash(pointer, keyword);
  }

  @Override
  public String toString() {
    return (pointer.isEmpty() ? "/" : pointer) + ": " + keyword;
  }
}

package io.collabpipeline.schemas;

/**
 * How personal a field of the event contract is, declared per property with the schema keyword
 * {@code x-privacy}, and what the PII minimizer does with it before anything is written. For an
 * array the class applies to its items.
 *
 * <p>The classes are ordered from least to most protected ({@link #protection()}); a schema change
 * that moves a field to a less protected class is a privacy relaxation that {@link
 * SchemaCompatibility} rejects.
 */
public enum PrivacyClass {
  /** Not personal: kept as is. */
  NONE("none", 0),
  /**
   * Identifies a user without being readable personal data (a user gid): replaced by a keyed-hash
   * pseudonym.
   */
  IDENTIFIER("identifier", 1),
  /**
   * Free text a person typed, which may contain anything: removed; only its declared derived facts
   * are kept.
   */
  FREE_TEXT("free_text", 2),
  /**
   * Directly identifying personal data (email, name, IP address, user agent, session id): removed.
   */
  DIRECT_PII("direct_pii", 3);

  /** The schema keyword that carries the class. */
  public static final String KEYWORD = "x-privacy";

  private final String keyword;
  private final int protection;

  PrivacyClass(String keyword, int protection) {
    this.keyword = keyword;
    this.protection = protection;
  }

  /** The value of {@code x-privacy} in a schema, e.g. {@code direct_pii}. */
  public String keyword() {
    return keyword;
  }

  /** Higher is more protected: none 0, identifier 1, free_text 2, direct_pii 3. */
  public int protection() {
    return protection;
  }

  /** Whether the minimizer removes the value itself (keeping at most its derived facts). */
  public boolean isRemoved() {
    return this == FREE_TEXT || this == DIRECT_PII;
  }

  /**
   * The class named by an {@code x-privacy} value.
   *
   * @throws IllegalArgumentException if the value is not one of none, identifier, direct_pii,
   *     free_text
   */
  public static PrivacyClass fromKeyword(String value) {
    for (PrivacyClass c : values()) {
      if (c.keyword.equals(value)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown "
            + KEYWORD
            + " value '"
            + value
            + "' (expected none, identifier, direct_pii or free_text)");
  }
}

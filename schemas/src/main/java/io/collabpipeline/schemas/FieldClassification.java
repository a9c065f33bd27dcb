package io.collabpipeline.schemas;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The privacy classification of one declared property: its {@link PrivacyClass}, the {@link
 * DerivedFact}s to keep, whether it is an array (then the class applies to the items), and the
 * classification of its declared sub-properties when it is an object (or an array of objects).
 * Immutable.
 */
public final class FieldClassification {
  private final String name;
  private final PrivacyClass privacyClass;
  private final Set<DerivedFact> derivedFacts;
  private final boolean array;
  private final ObjectClassification nested;

  FieldClassification(
      String name,
      PrivacyClass privacyClass,
      Set<DerivedFact> derivedFacts,
      boolean array,
      ObjectClassification nested) {
    this.name = Objects.requireNonNull(name, "name");
    this.privacyClass = Objects.requireNonNull(privacyClass, "privacyClass");
    this.derivedFacts =
        derivedFacts.isEmpty()
            ? Collections.emptySet()
            : Collections.unmodifiableSet(EnumSet.copyOf(derivedFacts));
    this.array = array;
    this.nested = nested;
  }

  public String name() {
    return name;
  }

  public PrivacyClass privacyClass() {
    return privacyClass;
  }

  /** The derived facts to keep, in declaration-independent (enum) order; empty if none. */
  public Set<DerivedFact> derivedFacts() {
    return derivedFacts;
  }

  /** Whether the schema declares the property as an array; the class then applies to each item. */
  public boolean isArray() {
    return array;
  }

  /**
   * The classification of the declared sub-properties of this object (or of each item, for an array
   * of objects), or {@code null} when the schema declares none. Sub-properties the schema does not
   * declare are unclassified.
   */
  public ObjectClassification nested() {
    return nested;
  }

  @Override
  public String toString() {
    return name
        + "="
        + privacyClass.keyword()
        + (array ? "[]" : "")
        + (derivedFacts.isEmpty() ? "" : derivedFacts);
  }
}

package io.collabpipeline.pipelines.options;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How an option that names a secret by reference ({@code --pseudonymKey}, {@code --s3Credentials})
 * appears in a message: with its value when the value has a reference's form, else by its name
 * only, since a value of another form may be the secret itself, pasted by mistake.
 */
public final class SecretOptions {
  private SecretOptions() {}

  /**
   * {@code --option=value} when {@code value} is {@code env:...}, {@code file:...} or one of the
   * {@code plainReferences} (e.g. {@code dev}, {@code default}); else {@code --option} and a note
   * that its value is not shown.
   */
  public static String shown(String option, @Nullable String value, String... plainReferences) {
    String v = value == null ? "" : value.trim();
    boolean reference = v.startsWith("env:") || v.startsWith("file:");
    for (String plain : plainReferences) {
      reference |= v.equals(plain);
    }
    return reference
        ? "--" + option + "=" + v
        : "--" + option + " (its value is not shown: it is not a reference)";
  }
}

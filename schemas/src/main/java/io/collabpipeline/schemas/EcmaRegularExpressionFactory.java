package io.collabpipeline.schemas;

import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;
import java.util.regex.Pattern;

/**
 * Compiles {@code pattern} keywords with the JDK engine, once per schema load, giving {@code $} its
 * ECMA-262 meaning.
 *
 * <p>Why: JSON Schema patterns are ECMA-262 regular expressions, where {@code $} (without the
 * multiline flag) matches only at the very end of the input. In {@link java.util.regex.Pattern} it
 * also matches before a final line terminator, so with the stock JDK factory {@code "123\n"}
 * satisfies {@code ^[0-9]{1,20}$}. Every unescaped {@code $} outside a character class is therefore
 * compiled as {@code \z}.
 */
final class EcmaRegularExpressionFactory implements RegularExpressionFactory {
  static final EcmaRegularExpressionFactory INSTANCE = new EcmaRegularExpressionFactory();

  private EcmaRegularExpressionFactory() {}

  @Override
  public RegularExpression getRegularExpression(String regex) {
    Pattern pattern = Pattern.compile(toJava(regex));
    return value -> pattern.matcher(value).find();
  }

  /**
   * The JDK form of an ECMA-262 pattern: unescaped {@code $} outside a character class becomes
   * {@code \z}.
   */
  static String toJava(String regex) {
    StringBuilder out = new StringBuilder(regex.length() + 4);
    boolean inClass = false;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\' && i + 1 < regex.length()) {
        out.append(c).append(regex.charAt(++i));
      } else if (c == '[' && !inClass) {
        inClass = true;
        out.append(c);
      } else if (c == ']' && inClass) {
        inClass = false;
        out.append(c);
      } else if (c == '$' && !inClass) {
        out.append("\\z");
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}

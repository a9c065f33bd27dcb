package io.collabpipeline.monitoring;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Prometheus's text exposition format (version 0.0.4), written by hand: a HELP and TYPE line per
 * family, then one sample per line with escaped label values. Small enough not to warrant a client
 * library on the classpath beside the Flink reporter's copy of one.
 */
final class PromText {
  private final StringBuilder out = new StringBuilder();
  private final Map<String, Boolean> declared = new LinkedHashMap<>();

  /** Declares a family once; samples of undeclared families are refused. */
  PromText family(String name, String type, String help) {
    if (declared.putIfAbsent(name, Boolean.TRUE) == null) {
      out.append("# HELP ").append(name).append(' ').append(help.replace("\n", " ")).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }
    return this;
  }

  /** One sample; {@code labels} alternate name and value. */
  PromText sample(String name, double value, String... labels) {
    if (!declared.containsKey(name)) {
      throw new IllegalStateException("family " + name + " not declared");
    }
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels must be name/value pairs");
    }
    out.append(name);
    if (labels.length > 0) {
      out.append('{');
      for (int i = 0; i < labels.length; i += 2) {
        if (i > 0) {
          out.append(',');
        }
        out.append(labels[i]).append("=\"").append(escape(labels[i + 1])).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(format(value)).append('\n');
    return this;
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String format(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return String.format(Locale.ROOT, "%s", value);
  }

  @Override
  public String toString() {
    return out.toString();
  }
}

package io.collabpipeline.tools.benchmark;

import io.collabpipeline.pipelines.UsageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --name=value} options of one benchmark mode, parsed once: an unknown option is a
 * one-line {@link UsageException} that lists the mode's options; values are read by name with the
 * mode's default. {@code --modes} is always accepted (it picks the mode). A later value of an
 * option replaces an earlier one; an option without {@code =} has the value "".
 */
final class BenchmarkOptions {
  private final Map<String, String> values;

  private BenchmarkOptions(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code args} against {@code usage}, the mode's options as they are listed in the error
   * for an unknown one ({@code "--events=N"}, ...): the name is what stands before {@code =}.
   * {@code mode} follows the unknown option in that error ({@code " for --modes=soak"}, or "").
   */
  static BenchmarkOptions parse(String[] args, String mode, String... usage) {
    List<String> known = new ArrayList<>(List.of("modes"));
    for (String u : usage) {
      known.add(u.substring(2).split("=", 2)[0]);
    }
    Map<String, String> values = new HashMap<>();
    for (String a : args) {
      String[] kv = a.split("=", 2);
      String name = kv[0].startsWith("--") ? kv[0].substring(2) : null;
      if (name == null || !known.contains(name)) {
        throw new UsageException(
            "unknown option " + a + mode + " (options: " + String.join(" ", usage) + ")");
      }
      values.put(name, kv.length == 2 ? kv[1] : "");
    }
    return new BenchmarkOptions(values);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  /** The option's value as given, or {@code otherwise} when it was not given. */
  String get(String name, String otherwise) {
    return values.getOrDefault(name, otherwise);
  }

  /** The option's whole number of at least 1, or {@code otherwise} when it was not given. */
  long positive(String name, long otherwise) {
    return has(name) ? positive(name, values.get(name)) : otherwise;
  }

  /** {@link #positive(String, long)} as an int (counts, parallelism, seconds). */
  int positiveInt(String name, int otherwise) {
    return (int) positive(name, otherwise);
  }

  /** Like {@link #positiveInt}, but 0 is accepted too (no warm-up). */
  int positiveOrZero(String name, int otherwise) {
    return has(name) && values.get(name).equals("0") ? 0 : positiveInt(name, otherwise);
  }

  /** {@code value} as a whole number of at least 1, or a usage error naming {@code --name}. */
  static long positive(String name, String value) {
    try {
      long v = Long.parseLong(value);
      if (v >= 1) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the usage error
    }
    throw new UsageException("--" + name + "=" + value + " must be a whole number of at least 1");
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}

package io.collabpipeline.tools.benchmark;

import io.collabpipeline.pipelines.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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
    return asInt(name, positive(name, otherwise));
  }

  /** Like {@link #positiveInt}, but 0 is accepted too (no warm-up). */
  int positiveOrZero(String name, int otherwise) {
    return has(name) ? asInt(name, wholeNumber(name, values.get(name), 0)) : otherwise;
  }

  /** The option's {@code true} or {@code false}, or {@code otherwise} when it was not given. */
  boolean bool(String name, boolean otherwise) {
    if (!has(name)) {
      return otherwise;
    }
    String value = values.get(name);
    if (value.equals("true") || value.equals("false")) {
      return Boolean.parseBoolean(value);
    }
    throw refused(name, value, " must be true or false");
  }

  private static int asInt(String name, long value) {
    if (value > Integer.MAX_VALUE) {
      throw refused(name, value, " is too large: at most " + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  /** {@code value} as a whole number of at least 1, or a usage error naming {@code --name}. */
  static long positive(String name, String value) {
    return wholeNumber(name, value, 1);
  }

  private static long wholeNumber(String name, String value, long least) {
    try {
      long v = Long.parseLong(value);
      if (v >= least) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the usage error
    }
    throw refused(name, value, " must be a whole number of at least " + least);
  }

  /**
   * The directory option {@code --name}'s {@code value}, created if it is not there: a path that
   * cannot be a directory is a one-line usage error naming the option and the cause, before any
   * work, not a stack trace.
   */
  static Path directory(String name, String value) {
    Path dir = Paths.get(value);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw refused(
          name,
          value,
          " cannot be created (" + cause(e) + "): give a directory this user can write");
    }
    if (!Files.isWritable(dir)) {
      throw refused(name, value, " is not writable: give a directory this user can write");
    }
    return dir;
  }

  /**
   * The output file option {@code --name}'s {@code value}, checked before the runs it will hold the
   * figures of: its directory is created as the writer would, and a directory or an unwritable
   * place is a one-line usage error, not a stack trace after minutes of work.
   */
  static Path outputFile(String name, String value) {
    if (value.isEmpty()) {
      throw refused(name, value, " needs a file name: --" + name + "=FILE");
    }
    Path file = Paths.get(value);
    if (Files.isDirectory(file)) {
      String example = "--" + name + "=" + file.resolve("bench.json");
      throw refused(name, value, " is a directory: give a file name in it, e.g. " + example);
    }
    Path parent = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw refused(
          name,
          value,
          ": its directory cannot be created ("
              + cause(e)
              + "): give a file in a directory this user can write");
    }
    if (!Files.isWritable(parent) || (Files.exists(file) && !Files.isWritable(file))) {
      throw refused(name, value, " is not writable: give a file this user can write");
    }
    return file;
  }

  /** The usage error for {@code --name=value}: the option as given, then {@code why}. */
  private static UsageException refused(String name, Object value, String why) {
    return new UsageException("--" + name + "=" + value + why);
  }

  /** An I/O failure in a few words: its kind and message ("NoSuchFileException: /proc/x"). */
  static String cause(IOException e) {
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}

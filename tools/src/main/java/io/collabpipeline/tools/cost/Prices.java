package io.collabpipeline.tools.cost;

import io.collabpipeline.pipelines.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A dated price table: each price {@code K} with {@code K.unit} and {@code K.source} (the vendor's
 * page), optionally {@code K.checked}; {@code spec.*} keys are instance facts; {@code prices.date}
 * and {@code prices.region} say when and where. The built-in table is {@link #BUILT_IN}.
 */
public final class Prices {
  public static final String BUILT_IN = "prices-2026-12.properties";

  private final Properties props;
  private final String origin;
  private final List<String> used = new ArrayList<>();

  private Prices(Properties props, String origin) {
    this.props = props;
    this.origin = origin;
    for (String k : List.of("prices.date", "prices.region")) {
      if (props.getProperty(k) == null) {
        throw new UsageException(origin + ": the price table has no " + k);
      }
    }
  }

  /** The table shipped in the tools module. */
  public static Prices builtIn() {
    try (InputStream in = Prices.class.getResourceAsStream(BUILT_IN)) {
      if (in == null) {
        throw new IllegalStateException("resource " + BUILT_IN + " missing from the tools module");
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      return new Prices(p, BUILT_IN);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A table of the same keys from a file ({@code --prices=FILE}), e.g. checked prices. */
  public static Prices fromFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UsageException(
          "--prices="
              + file
              + (Files.isDirectory(file) ? " is a directory, not a prices file" : ": no such file")
              + " (copy the built-in "
              + BUILT_IN
              + " and edit it)");
    }
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Properties p = new Properties();
      p.load(r);
      return new Prices(p, file.toString());
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException(
          "--prices=" + file + ": not a properties file (" + e.getMessage() + ")");
    }
  }

  public String date() {
    return props.getProperty("prices.date");
  }

  public String region() {
    return props.getProperty("prices.region");
  }

  public String origin() {
    return origin;
  }

  /** A price in USD; a missing or non-numeric one is a one-line error naming the key. */
  public double price(String key) {
    double v = number(key);
    if (!used.contains(key)) {
      used.add(key);
    }
    return v;
  }

  /** An instance fact ({@code spec.} + key). */
  public double spec(String key) {
    return number("spec." + key);
  }

  public String unit(String key) {
    return props.getProperty(key + ".unit", "");
  }

  public String source(String key) {
    return props.getProperty(key + ".source", "");
  }

  public String checked(String key) {
    return props.getProperty(key + ".checked", "");
  }

  /** The price keys read so far, in order of first use (the plan's price table). */
  public List<String> used() {
    return List.copyOf(used);
  }

  private double number(String key) {
    String v = props.getProperty(key);
    if (v == null) {
      throw new UsageException(
          origin + ": no price or fact " + key + " (an instance type not in the table? add it)");
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(origin + ": " + key + "=" + v + " is not a number");
    }
  }
}

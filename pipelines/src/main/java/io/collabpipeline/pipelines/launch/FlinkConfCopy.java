package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Flink configuration directory with settings added, written to a new temporary directory: how
 * the launcher hands an embedded Flink cluster what Beam's runner options cannot (the checkpoint a
 * run resumes from, {@link FlinkRestore}; the managed memory, shuffle compression and slot
 * requirement check delay of a {@code [local]} cluster, {@link LocalClusterConf}). Beam's Flink
 * runner (2.70) builds an embedded cluster from the directory of {@code --flinkConfDir} or {@code
 * FLINK_CONF_DIR} alone.
 */
final class FlinkConfCopy {
  private FlinkConfCopy() {}

  /**
   * The configuration directory a job's Flink configuration comes from: {@code --flinkConfDir}'s,
   * or {@code FLINK_CONF_DIR}'s, as Beam's runner reads them; null for none.
   */
  static @Nullable Path sourceConfDir(@Nullable String flinkConfDir) {
    if (flinkConfDir != null && !flinkConfDir.isEmpty()) {
      return Paths.get(flinkConfDir);
    }
    String env = System.getenv("FLINK_CONF_DIR");
    return env == null || env.isEmpty() ? null : Paths.get(env);
  }

  /**
   * A job's Flink configuration as Flink loads it, from {@code --flinkConfDir}'s directory or
   * {@code FLINK_CONF_DIR}'s ({@link #sourceConfDir}); empty for none. A directory Flink cannot
   * load (missing, or a file it cannot parse) is a usage error naming the option or the variable it
   * came from, with Flink's reason on one line.
   */
  static Configuration load(@Nullable String flinkConfDir) {
    Path source = sourceConfDir(flinkConfDir);
    if (source == null) {
      return new Configuration();
    }
    try {
      return GlobalConfiguration.loadConfiguration(source.toString());
    } catch (RuntimeException e) {
      String named =
          flinkConfDir != null && !flinkConfDir.isEmpty()
              ? "--flinkConfDir=" + flinkConfDir
              : "FLINK_CONF_DIR=" + source;
      // On one line: a YAML parser's message says where in the file on the lines after its first.
      throw new UsageException(
          named + ": " + CommandLine.rootMessage(e).trim().replaceAll("\\s*\\n\\s*", " "));
    }
  }

  /**
   * A new temporary directory (deleted when the JVM exits) with the files of {@code source} (none
   * if null) and {@code settings} appended to its configuration file under the comment {@code why},
   * checked by loading it back with Flink's loader.
   */
  static Path withSettings(@Nullable Path source, String why, Map<String, String> settings)
      throws IOException {
    Path dir = Files.createTempDirectory("collab-pipeline-flink-conf-");
    dir.toFile().deleteOnExit();
    if (source != null) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(source, Files::isRegularFile)) {
        for (Path f : files) {
          Path copy = dir.resolve(f.getFileName());
          Files.copy(f, copy);
          copy.toFile().deleteOnExit();
        }
      }
    }
    Path conf = dir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME);
    if (!Files.exists(conf)
        && Files.exists(dir.resolve(GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME))) {
      conf = dir.resolve(GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME);
    }
    boolean standardYaml =
        conf.getFileName().toString().equals(GlobalConfiguration.FLINK_CONF_FILENAME);
    String existing = Files.exists(conf) ? Files.readString(conf, StandardCharsets.UTF_8) : "";
    StringBuilder text = new StringBuilder();
    if (!existing.isEmpty() && !existing.endsWith("\n")) {
      text.append('\n');
    }
    for (String line : why.split("\n", -1)) {
      text.append("# ").append(line).append('\n');
    }
    for (Map.Entry<String, String> s : settings.entrySet()) {
      text.append(s.getKey())
          .append(": ")
          .append(standardYaml ? yamlValue(s.getValue()) : s.getValue())
          .append('\n');
    }
    Files.write(
        conf,
        text.toString().getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    conf.toFile().deleteOnExit();
    Map<String, String> loaded = GlobalConfiguration.loadConfiguration(dir.toString()).toMap();
    for (Map.Entry<String, String> s : settings.entrySet()) {
      if (!s.getValue().equals(loaded.get(s.getKey()))) {
        throw new IOException(
            conf
                + " does not read back "
                + s.getKey()
                + "="
                + s.getValue()
                + " (it reads "
                + loaded.get(s.getKey())
                + ")");
      }
    }
    return dir;
  }

  /**
   * A boolean as it is, anything else as a YAML double-quoted string: a plain scalar such as {@code
   * null}, {@code 0123} or {@code 1e3} would be read back as something else.
   */
  private static String yamlValue(String s) {
    return s.equals("true") || s.equals("false")
        ? s
        : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}

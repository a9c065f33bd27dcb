package io.collabpipeline.pipelines.launch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A copy of a Flink configuration directory with settings added: what Flink's own loader reads back
 * from it, in the standard and in the legacy file format.
 */
public class FlinkConfCopyTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  /** Values a YAML plain scalar would turn into something else, and a path with quotes. */
  private static Map<String, String> awkwardSettings() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("collab.test.null", "null");
    settings.put("collab.test.octal", "0123");
    settings.put("collab.test.exponent", "1e3");
    settings.put("collab.test.path", "file:///tmp/a \"quoted\" dir\\chk-7");
    settings.put("collab.test.size", "768m");
    settings.put("collab.test.flag", "false");
    return settings;
  }

  @Test
  public void withoutASourceEverySettingReadsBackAsGiven() throws Exception {
    Path dir = FlinkConfCopy.withSettings(null, "a test\nof two lines", awkwardSettings());
    assertEveryAwkwardSetting(dir);
    assertTrue(Files.exists(dir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME)));
  }

  @Test
  public void aStandardSourceKeepsItsFilesAndSettings() throws Exception {
    Path source =
        source("standard", GlobalConfiguration.FLINK_CONF_FILENAME, "parallelism.default: 3");
    Files.writeString(source.resolve("log4j.properties"), "x=y\n", StandardCharsets.UTF_8);
    Path dir = FlinkConfCopy.withSettings(source, "why", awkwardSettings());
    assertEquals("3", assertEveryAwkwardSetting(dir).get("parallelism.default"));
    assertEquals("x=y\n", Files.readString(dir.resolve("log4j.properties")));
    assertEquals(
        "parallelism.default: 3",
        Files.readString(source.resolve(GlobalConfiguration.FLINK_CONF_FILENAME)));
  }

  @Test
  public void aLegacySourceGetsTheSettingsInItsOwnFile() throws Exception {
    Path source =
        source(
            "legacy", GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME, "parallelism.default: 5\n");
    Path dir = FlinkConfCopy.withSettings(source, "why", awkwardSettings());
    assertFalse(Files.exists(dir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME)));
    assertEquals("5", assertEveryAwkwardSetting(dir).get("parallelism.default"));
  }

  /** A configuration directory holding {@code file} with {@code text}. */
  private Path source(String name, String file, String text) throws Exception {
    Path source = tmp.newFolder(name).toPath();
    Files.writeString(source.resolve(file), text, StandardCharsets.UTF_8);
    return source;
  }

  /** Loads {@code dir} with Flink's loader, checks every awkward setting, returns all it read. */
  private static Map<String, String> assertEveryAwkwardSetting(Path dir) {
    Map<String, String> loaded = GlobalConfiguration.loadConfiguration(dir.toString()).toMap();
    for (Map.Entry<String, String> s : awkwardSettings().entrySet()) {
      assertEquals(s.getKey(), s.getValue(), loaded.get(s.getKey()));
    }
    return loaded;
  }
}

package io.collabpipeline.pipelines.launch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.UsageException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.NettyShuffleEnvironmentOptions;
import org.apache.flink.configuration.ResourceManagerOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The configuration an embedded {@code [local]} Flink cluster gets from the launcher (its managed
 * memory, no batch shuffle compression, no slot requirement check delay, each unless the job's
 * configuration sets it), and that no job of it forces a full garbage collection to size the
 * managed memory.
 */
public class LocalClusterConfTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private static final long MIB = 1L << 20;

  @Test
  public void sizeIsAnEighthOfTheHeapWithinBounds() {
    assertEquals(128 * MIB, LocalClusterConf.bytesFor(1024 * MIB));
    assertEquals(768 * MIB, LocalClusterConf.bytesFor(6144 * MIB));
    assertEquals(384 * MIB, LocalClusterConf.bytesFor(3072 * MIB));
    assertEquals(128 * MIB, LocalClusterConf.bytesFor(512 * MIB));
    assertEquals(1024 * MIB, LocalClusterConf.bytesFor(16384 * MIB));
  }

  @Test
  public void onlyLocalMastersAreGivenAConfiguration() {
    assertNull(LocalClusterConf.confDirFor("[auto]", null, new Configuration()));
    assertNull(LocalClusterConf.confDirFor("localhost:8081", null, new Configuration()));
    assertNull(LocalClusterConf.confDirFor(null, null, new Configuration()));
  }

  @Test
  public void localMasterWithoutConfigurationGetsTheManagedMemory() {
    assumeTrue("FLINK_CONF_DIR would be the source", System.getenv("FLINK_CONF_DIR") == null);
    String dir = LocalClusterConf.confDirFor("[local]", null, new Configuration());
    assertNotNull(dir);
    Configuration loaded = GlobalConfiguration.loadConfiguration(dir);
    long expectedMib = LocalClusterConf.bytesFor(Runtime.getRuntime().maxMemory()) / MIB;
    assertEquals(
        MemorySize.ofMebiBytes(expectedMib), loaded.get(TaskManagerOptions.MANAGED_MEMORY_SIZE));
    assertFalse(loaded.get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
    assertTrue(
        "Flink's default compresses",
        new Configuration().get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
    assertEquals(Duration.ZERO, loaded.get(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY));
    assertEquals(
        "Flink's default waits",
        Duration.ofMillis(50),
        new Configuration().get(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY));
    assertEquals(
        "once per JVM", dir, LocalClusterConf.confDirFor("[local]", null, new Configuration()));
  }

  @Test
  public void aGivenConfigurationIsCopiedWithTheSettingsAdded() throws Exception {
    Path source = sourceWith("parallelism.default: 3\n");
    Configuration loaded = copyFor(source);
    assertEquals(3, (int) loaded.get(CoreOptions.DEFAULT_PARALLELISM));
    assertTrue(loaded.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE));
    assertFalse(loaded.get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
    assertEquals(Duration.ZERO, loaded.get(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY));
    assertEquals(
        "the source is left as it was",
        "parallelism.default: 3\n",
        Files.readString(
            source.resolve(GlobalConfiguration.FLINK_CONF_FILENAME), StandardCharsets.UTF_8));
  }

  @Test
  public void aConfigurationThatSetsTheManagedMemoryKeepsItAndGetsNoCompression() throws Exception {
    Configuration loaded = copyFor(sourceWith("taskmanager.memory.managed.size: 200m\n"));
    assertEquals(MemorySize.ofMebiBytes(200), loaded.get(TaskManagerOptions.MANAGED_MEMORY_SIZE));
    assertFalse(loaded.get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
  }

  @Test
  public void aConfigurationThatAsksForCompressionKeepsIt() throws Exception {
    Configuration loaded =
        copyFor(sourceWith("taskmanager.network.batch-shuffle.compression.enabled: true\n"));
    assertTrue(loaded.get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
    assertTrue(loaded.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE));
  }

  @Test
  public void aConfigurationThatSetsTheCheckDelayKeepsIt() throws Exception {
    Configuration loaded = copyFor(sourceWith("slotmanager.requirement-check.delay: 20 ms\n"));
    assertEquals(
        Duration.ofMillis(20), loaded.get(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY));
    assertFalse(loaded.get(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED));
  }

  @Test
  public void aConfigurationThatSetsThemAllIsUsedAsItIs() throws Exception {
    Path source =
        sourceWith(
            "taskmanager.memory.managed.size: 200m\n"
                + "taskmanager.network.batch-shuffle.compression.enabled: true\n"
                + "slotmanager.requirement-check.delay: 50 ms\n");
    assertNull(
        LocalClusterConf.confDirFor(
            "[local]", source.toString(), FlinkConfCopy.load(source.toString())));
  }

  /** A new configuration directory whose {@code config.yaml} holds {@code text}. */
  private Path sourceWith(String text) throws IOException {
    Path source = tmp.newFolder().toPath();
    Files.writeString(
        source.resolve(GlobalConfiguration.FLINK_CONF_FILENAME), text, StandardCharsets.UTF_8);
    return source;
  }

  /**
   * The configuration of the copy the launcher makes of {@code source} for a {@code [local]} job.
   */
  private static Configuration copyFor(Path source) {
    String dir =
        LocalClusterConf.confDirFor(
            "[local]", source.toString(), FlinkConfCopy.load(source.toString()));
    assertNotNull(dir);
    return GlobalConfiguration.loadConfiguration(dir);
  }

  /**
   * A configuration directory Flink cannot load is a one-line usage error that names the option,
   * before anything runs: a directory that does not exist, and a {@code config.yaml} that is not
   * YAML. Through the launcher too, on any master.
   */
  @Test
  public void aConfigurationFlinkCannotLoadIsAUsageErrorNamingTheOption() throws Exception {
    String missing = tmp.getRoot().toPath().resolve("no-such-conf").toString();
    UsageException e = assertThrows(UsageException.class, () -> FlinkConfCopy.load(missing));
    assertTrue(e.getMessage(), e.getMessage().startsWith("--flinkConfDir=" + missing + ": "));
    assertFalse(e.getMessage(), e.getMessage().contains("\n"));

    Path broken = tmp.newFolder("broken").toPath();
    Files.writeString(
        broken.resolve(GlobalConfiguration.FLINK_CONF_FILENAME),
        "parallelism.default: [2\n  taskmanager: {\n",
        StandardCharsets.UTF_8);
    e = assertThrows(UsageException.class, () -> FlinkConfCopy.load(broken.toString()));
    assertTrue(e.getMessage(), e.getMessage().startsWith("--flinkConfDir=" + broken + ": "));
    assertFalse(e.getMessage(), e.getMessage().contains("\n"));

    for (String master : List.of("[local]", "[auto]")) {
      FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
      options.setFlinkMaster(master);
      options.setFlinkConfDir(broken.toString());
      e =
          assertThrows(
              UsageException.class,
              () ->
                  JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream()))
                      .run(new PlusOne()));
      assertTrue(master + ": " + e.getMessage(), e.getMessage().startsWith("--flinkConfDir="));
    }
  }

  /**
   * A job on the embedded cluster through the launcher: Beam's own sizing would call {@code
   * System.gc()} from Flink's {@code getSizeOfFreeHeapMemoryWithDefrag} when the job starts; JFR
   * records every such call with its stack. The caller's options keep their configuration
   * directory.
   */
  @Test
  public void aLocalJobForcesNoFullCollection() throws Exception {
    FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
    Path jfr = tmp.newFile("run.jfr").toPath();
    try (Recording recording = new Recording()) {
      recording.enable("jdk.SystemGC").withStackTrace();
      recording.start();
      JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream()))
          .run(new PlusOne());
      recording.stop();
      recording.dump(jfr);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
    long bySizing =
        events.stream()
            .filter(e -> e.getEventType().getName().equals("jdk.SystemGC"))
            .filter(
                e ->
                    e.getStackTrace() != null
                        && e.getStackTrace().getFrames().stream()
                            .map(RecordedFrame::getMethod)
                            .anyMatch(m -> m.getName().equals("getSizeOfFreeHeapMemoryWithDefrag")))
            .count();
    assertEquals("System.gc() calls to size the managed memory", 0, bySizing);
    assertNull(options.getFlinkConfDir());
  }

  /** A job with nothing to close: three numbers, each plus one. */
  private static final class PlusOne implements Job {
    @Override
    public String startLine() {
      return "plus one";
    }

    @Override
    public Optional<GenerationPlan> generation() {
      return Optional.empty();
    }

    @Override
    public void build(Pipeline pipeline) {
      pipeline
          .apply(Create.of(1, 2, 3))
          .apply(MapElements.into(TypeDescriptors.integers()).via((Integer x) -> x + 1));
    }
  }
}

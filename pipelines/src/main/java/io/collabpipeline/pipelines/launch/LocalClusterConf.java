package io.collabpipeline.pipelines.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.NettyShuffleEnvironmentOptions;
import org.apache.flink.configuration.ResourceManagerOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The Flink configuration of the embedded cluster that a {@code [local]} master starts for every
 * job (the benchmark's and the tests' runner, {@code EmbeddedFlink}): three settings that Beam's
 * runner options cannot give, each added unless the job's own Flink configuration sets it.
 *
 * <p><b>The managed memory, a fixed size</b>, so that Beam does not size it by forcing a full
 * garbage collection. Beam's Flink runner (2.70, {@code FlinkExecutionEnvironments}) sets {@code
 * taskmanager.memory.managed.size} for a {@code [local]} master when the Flink configuration does
 * not: to 0.4 of the heap left free after a {@code System.gc()} that it calls at every job's start
 * (Flink's {@code EnvironmentInformation.getSizeOfFreeHeapMemoryWithDefrag}). Each job so paid a
 * stop-the-world full collection, and G1 shrank the heap after it to about 216 MB (57 MB live), so
 * the job's young collections ran in a small heap that had to grow again; and the batch sorters
 * were given about 2.4 GB of off-heap memory beside a 6 GB heap. Flink's own local environment
 * ({@code [auto]} outside a cluster, what {@code bin/collab-pipeline} runs on) does neither.
 * Measured on the raw-store replay of 287,875 events ({@code bin/collab-benchmark --modes=replay},
 * alternating runs with this setting given through {@code FLINK_CONF_DIR} and without): 88,630 and
 * 87,571 events/s without, 103,456 and 102,399 with 768 MB. The size is an eighth of the JVM's
 * maximum heap, at least 128 MB (Flink's default for a local environment) and at most 1 GB.
 *
 * <p><b>No compression of the batch shuffle</b> ({@code
 * taskmanager.network.batch-shuffle.compression.enabled: false}). Flink (1.19) compresses every
 * buffer of a blocking exchange with LZ4 by default, to spare a cluster's disks and network; in one
 * JVM the buffers only move through memory, and compressing and decompressing them took 15.8% of
 * the CPU of a 300,000-event batch run (async-profiler, third repeat). A cluster's TaskManagers
 * keep their own configuration ({@code runner-configs/flink}: the local and standalone profiles
 * turn it off too, the production profile keeps Flink's default).
 *
 * <p><b>No wait before the slot manager matches a job's slot requests</b> ({@code
 * slotmanager.requirement-check.delay: 0 ms}; Flink's default is 50 ms). The delay gathers the
 * requirement changes of many jobs and TaskManagers into one check; an embedded cluster starts with
 * its one TaskManager registered and runs one job, which waited the whole delay before its tasks
 * were deployed (the JobMaster's log: requirements received, then matched 52 ms later). Measured on
 * the raw-store replay of 287,875 events after 4 warm-ups (2 alternating pairs of 5 repeats, the
 * setting given through {@code FLINK_CONF_DIR}): run medians 1.58 and 1.63 s without, 1.50 and 1.50
 * s with.
 *
 * <p>A Flink configuration given to the job ({@code --flinkConfDir}, {@code FLINK_CONF_DIR}) keeps
 * whichever of the keys it sets. Other masters are not touched: a cluster's configuration sizes its
 * TaskManagers.
 */
public final class LocalClusterConf {
  private LocalClusterConf() {}

  /**
   * The settings that an embedded cluster with no Flink configuration of its own gets in this JVM:
   * what a {@code [local]} job run through the launcher starts with. The benchmark's Flink SQL peer
   * starts its own embedded cluster with them, so that both run on the same embedded Flink.
   */
  public static Map<String, String> forEmbeddedCluster() {
    return missingFrom(new Configuration());
  }

  /** The directory written for a job with no Flink configuration of its own, once per JVM. */
  private static @Nullable String withoutSource;

  static final long MIN_BYTES = 128L << 20;
  static final long MAX_BYTES = 1L << 30;

  /**
   * The managed memory of an embedded cluster in a JVM whose maximum heap is {@code maxHeap}; the
   * configuration gets it in whole MiB, rounded down.
   */
  static long bytesFor(long maxHeap) {
    return Math.max(MIN_BYTES, Math.min(MAX_BYTES, maxHeap / 8));
  }

  /**
   * The settings an embedded cluster gets where its configuration {@code loaded} does not set them:
   * the managed memory for this JVM's heap, no batch shuffle compression and no slot requirement
   * check delay, in that order.
   */
  static Map<String, String> missingFrom(Configuration loaded) {
    Map<String, String> settings = new LinkedHashMap<>();
    if (!loaded.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE)) {
      settings.put(
          TaskManagerOptions.MANAGED_MEMORY_SIZE.key(),
          (bytesFor(Runtime.getRuntime().maxMemory()) >> 20) + "m");
    }
    if (!loaded.contains(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED)) {
      settings.put(NettyShuffleEnvironmentOptions.BATCH_SHUFFLE_COMPRESSION_ENABLED.key(), "false");
    }
    if (!loaded.contains(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY)) {
      settings.put(ResourceManagerOptions.REQUIREMENTS_CHECK_DELAY.key(), "0 ms");
    }
    return settings;
  }

  /**
   * The Flink configuration directory a job on {@code master} should run with: a copy of {@code
   * flinkConfDir}'s (or {@code FLINK_CONF_DIR}'s, or none) with the settings it lacks added ({@link
   * #missingFrom}); null when nothing is to change (not {@code [local]}, or the configuration sets
   * them all already).
   *
   * @param loaded that directory's configuration as {@link FlinkConfCopy#load} read it (the
   *     launcher loads it once, for every master)
   */
  static @Nullable String confDirFor(
      @Nullable String master, @Nullable String flinkConfDir, Configuration loaded) {
    if (!"[local]".equals(master)) {
      return null;
    }
    Path source = FlinkConfCopy.sourceConfDir(flinkConfDir);
    if (source == null) {
      synchronized (LocalClusterConf.class) {
        if (withoutSource == null
            || !Files.isRegularFile(
                Paths.get(withoutSource, GlobalConfiguration.FLINK_CONF_FILENAME))) {
          withoutSource = write(null, forEmbeddedCluster());
        }
        return withoutSource;
      }
    }
    Map<String, String> missing = missingFrom(loaded);
    if (missing.isEmpty()) {
      return null;
    }
    return write(source, missing);
  }

  private static String write(@Nullable Path source, Map<String, String> settings) {
    try {
      return FlinkConfCopy.withSettings(
              source,
              "Added by collab-pipeline's launcher for the embedded cluster: its managed memory\n"
                  + "(Beam sizes it by forcing a full garbage collection otherwise), no\n"
                  + "compression of the batch shuffle (its buffers never leave this JVM) and no\n"
                  + "delay before the slot manager matches a job's slot requests (one TaskManager,\n"
                  + "one job).",
              settings)
          .toString();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the Flink configuration of the embedded cluster", e);
    }
  }
}

package io.collabpipeline.pipelines.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The managed memory of the embedded Flink cluster that a {@code [local]} master starts for every
 * job (the benchmark's and the tests' runner, {@code EmbeddedFlink}): a fixed size in the Flink
 * configuration, so that Beam does not size it by forcing a full garbage collection.
 *
 * <p>Beam's Flink runner (2.70, {@code FlinkExecutionEnvironments}) sets {@code
 * taskmanager.memory.managed.size} for a {@code [local]} master when the Flink configuration does
 * not: to 0.4 of the heap left free after a {@code System.gc()} that it calls at every job's start
 * (Flink's {@code EnvironmentInformation.getSizeOfFreeHeapMemoryWithDefrag}). Each job so paid a
 * stop-the-world full collection, and G1 shrank the heap after it to about 216 MB (57 MB live), so
 * the job's young collections ran in a small heap that had to grow again; and the batch sorters
 * were given about 2.4 GB of off-heap memory beside a 6 GB heap. Flink's own local environment
 * ({@code [auto]} outside a cluster, what {@code bin/collab-pipeline} runs on) does neither.
 * Measured on the raw-store replay of 287,875 events ({@code bin/collab-benchmark --modes=replay},
 * alternating runs with this setting given through {@code FLINK_CONF_DIR} and without): 88,630 and
 * 87,571 events/s without, 103,456 and 102,399 with 768 MB.
 *
 * <p>The size here is an eighth of the JVM's maximum heap, at least 128 MB (Flink's default for a
 * local environment) and at most 1 GB. A Flink configuration that sets the key ({@code
 * --flinkConfDir}, {@code FLINK_CONF_DIR}) keeps its own. Other masters are not touched: a
 * cluster's configuration sizes its TaskManagers.
 */
final class LocalManagedMemory {
  private LocalManagedMemory() {}

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
   * The Flink configuration directory a job on {@code master} should run with so that its managed
   * memory is set: a copy of {@code flinkConfDir}'s (or {@code FLINK_CONF_DIR}'s, or none) with
   * {@code taskmanager.memory.managed.size} added; null when nothing is to change (not {@code
   * [local]}, or the configuration sets it already).
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
      synchronized (LocalManagedMemory.class) {
        if (withoutSource == null
            || !Files.isRegularFile(
                Paths.get(withoutSource, GlobalConfiguration.FLINK_CONF_FILENAME))) {
          withoutSource = write(null);
        }
        return withoutSource;
      }
    }
    if (loaded.contains(TaskManagerOptions.MANAGED_MEMORY_SIZE)) {
      return null;
    }
    return write(source);
  }

  private static String write(@Nullable Path source) {
    String size = (bytesFor(Runtime.getRuntime().maxMemory()) >> 20) + "m";
    try {
      return FlinkConfCopy.withSettings(
              source,
              "Added by collab-pipeline's launcher: the managed memory of the embedded cluster\n"
                  + "(Beam sizes it by forcing a full garbage collection otherwise).",
              Map.of(TaskManagerOptions.MANAGED_MEMORY_SIZE.key(), size))
          .toString();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the Flink configuration of the embedded cluster's managed memory", e);
    }
  }
}

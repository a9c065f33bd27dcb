package io.collabpipeline.tools.benchmark;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.tools.files.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's working directories. One it creates itself is removed when the JVM exits (Ctrl-C
 * included): a 300,000-event run leaves about a gigabyte of input, raw stores and warehouses, which
 * nobody reads after the figures are printed. A directory given with {@code --workDir} is the
 * caller's and is kept (a raw store a run wrote there is what {@code --rawStore} replays later),
 * until a later run in it replaces the files of its own runs ({@link #clearEarlierRun}).
 */
final class WorkDirs {
  private WorkDirs() {}

  /** A new directory under the system's temporary directory, removed when the JVM exits. */
  static Path temporary(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> deleteQuietly(dir), "collab-benchmark-cleanup"));
    return dir;
  }

  /**
   * Makes {@code dir} the empty place of one run's files: what an earlier benchmark run in the same
   * {@code --workDir} left there (its raw store, its warehouse) goes first, so that a run over a
   * given directory does the same work as over a new one. A raw store is append-only, so a second
   * run's graph would write its files beside the first's, and the replays would read both.
   */
  static void clearEarlierRun(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      throw new UsageException(
          "--workDir: "
              + dir
              + " holds an earlier run's files that cannot be removed ("
              + e.getMessage()
              + "): remove it, or give another --workDir");
    }
  }

  /** Removes {@code dir} and everything under it; a failure is reported on stderr, not thrown. */
  static void deleteQuietly(Path dir) {
    FileTrees.deleteQuietly(dir, "collab-benchmark: could not delete " + dir);
  }
}

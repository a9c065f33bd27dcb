package io.collabpipeline.tools.benchmark;

import io.collabpipeline.tools.files.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's working directories. One it creates itself is removed when the JVM exits (Ctrl-C
 * included): a 300,000-event run leaves about a gigabyte of input, raw stores and warehouses, which
 * nobody reads after the figures are printed. A directory given with {@code --workDir} is the
 * caller's and is kept (a raw store a run wrote there is what {@code --rawStore} replays later).
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

  /** Removes {@code dir} and everything under it; a failure is reported on stderr, not thrown. */
  static void deleteQuietly(Path dir) {
    FileTrees.deleteQuietly(dir, "collab-benchmark: could not delete " + dir);
  }
}

package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * The benchmark's own working directory holds no run's files once that run is timed; a {@code
 * --workDir} is the caller's and keeps them.
 */
public class WorkDirsTest {
  @Test
  public void aRunLeavesNoFilesInTheBenchmarksOwnDirectory() throws Exception {
    Set<Path> before = benchDirs();
    quietly("--events=400", "--repeats=1", "--warmups=0", "--modes=batch");
    List<Path> created = new ArrayList<>(benchDirs());
    created.removeAll(before);
    assertEquals("the run's own directory: " + created, 1, created.size());
    try (Stream<Path> children = Files.list(created.get(0))) {
      assertTrue(
          "no run-* directory is left",
          children.noneMatch(p -> p.getFileName().toString().startsWith("run-")));
    }
  }

  @Test
  public void aGivenWorkDirKeepsTheRunsFiles() throws Exception {
    Path work = Files.createTempDirectory("workdirs-given");
    try {
      quietly("--events=400", "--repeats=1", "--warmups=0", "--modes=batch", "--workDir=" + work);
      assertTrue(Files.isDirectory(work.resolve("run-batch-1")));
      assertTrue(Files.isDirectory(work.resolve("input")));
    } finally {
      WorkDirs.deleteQuietly(work);
    }
  }

  /**
   * A second run in the same {@code --workDir} writes the replays' raw store anew. The raw store is
   * append-only, so without that the second graph run wrote its files beside the first's, and the
   * replay read both runs' events where the benchmark expected one run's ("the replay read 766
   * events, the raw store holds 383", with a stack trace).
   */
  @Test
  public void aSecondRunInTheSameWorkDirReplaysOnlyItsOwnRawStore() throws Exception {
    Path work = Files.createTempDirectory("workdirs-again");
    try {
      String[] args = {
        "--events=400", "--repeats=1", "--warmups=0", "--modes=batch,replay", "--workDir=" + work
      };
      quietly(args);
      Path raw = work.resolve("replay-source").resolve("raw");
      long firstFiles = parquetFiles(raw);
      assertTrue("the first run wrote a raw store", firstFiles > 0);
      quietly(args);
      assertEquals(
          "the second run's raw store holds its own files only", firstFiles, parquetFiles(raw));
    } finally {
      WorkDirs.deleteQuietly(work);
    }
  }

  private static long parquetFiles(Path raw) throws Exception {
    try (Stream<Path> all = Files.walk(raw)) {
      return all.filter(p -> p.getFileName().toString().endsWith(".parquet")).count();
    }
  }

  private static void quietly(String... args) throws Exception {
    PrintStream out = System.out;
    System.setOut(new PrintStream(PrintStream.nullOutputStream()));
    try {
      assertEquals(0, CollabBenchmark.run(args));
    } finally {
      System.setOut(out);
    }
  }

  private static Set<Path> benchDirs() throws Exception {
    try (Stream<Path> all = Files.list(Paths.get(System.getProperty("java.io.tmpdir")))) {
      Set<Path> dirs = new HashSet<>();
      all.filter(p -> p.getFileName().toString().startsWith("collab-bench"))
          .filter(p -> !p.getFileName().toString().startsWith("collab-bench-collector"))
          .forEach(dirs::add);
      return dirs;
    }
  }
}

package io.collabpipeline.pipelines.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The file {@code generations} in a checkpoint directory, next to the job directories: one line per
 * start of a streaming job that checkpoints there, {@code <start, epoch ms> <generation> <job>},
 * appended by the launcher before the job runs.
 *
 * <p>It answers "which generation wrote this checkpoint?": the run that took a checkpoint is the
 * last one to start before the checkpoint was taken (one job at a time per checkpoint directory),
 * so a resumed stream continues the generation of the run whose checkpoint it restores, even when a
 * later run started fresh (and perhaps died before its first checkpoint). {@code <job>} names the
 * source ({@code kafka:<topics>@<group>}), so that a checkpoint of another job sharing the
 * directory (the dev profile's {@code /tmp/collab-pipeline/flink/checkpoints}) is never resumed.
 */
final class GenerationHistory {
  /** The file's name in the checkpoint directory. */
  static final String FILE = "generations";

  /** One start. */
  static final class Entry {
    final long startedMillis;
    final long generation;
    final String job;

    Entry(long startedMillis, long generation, String job) {
      this.startedMillis = startedMillis;
      this.generation = generation;
      this.job = job;
    }

    String line() {
      return startedMillis + " " + generation + " " + job;
    }
  }

  private GenerationHistory() {}

  /**
   * The entries of {@code checkpointDir}'s file, in file order; none when it does not exist. Lines
   * that do not parse (a write cut short) are ignored.
   */
  static List<Entry> read(Path checkpointDir) throws IOException {
    Path file = checkpointDir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Collections.emptyList();
    }
    List<Entry> entries = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] f = line.trim().split(" ", 3);
      if (f.length != 3) {
        continue;
      }
      try {
        entries.add(new Entry(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2]));
      } catch (NumberFormatException e) {
        // a line cut short by a crash: ignore it
      }
    }
    return entries;
  }

  /** The run that took a checkpoint at {@code taken}: the last to start at or before it. */
  static Optional<Entry> ownerOf(List<Entry> entries, Instant taken) {
    Entry owner = null;
    for (Entry e : entries) {
      if (e.startedMillis <= taken.toEpochMilli()
          && (owner == null || e.startedMillis >= owner.startedMillis)) {
        owner = e;
      }
    }
    return Optional.ofNullable(owner);
  }

  /**
   * Appends one start to {@code checkpointDir}'s file, creating the directory if needed,
   * owner-only: checkpoints hold the state of open windows, quarantined records (full PII) among
   * them, so the directory is {@code rwx------} and nothing under it is reachable by another user,
   * whatever modes Flink gives the files it writes there.
   */
  static void append(Path checkpointDir, Entry entry) throws IOException {
    ownerOnlyDirectory(checkpointDir);
    Files.write(
        checkpointDir.resolve(FILE),
        (entry.line() + "\n").getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }

  /**
   * Creates {@code dir} (and its parents) if missing and makes it {@code rwx------}, where the file
   * system has POSIX permissions: its mode is set explicitly, since creation is subject to the
   * umask and the directory may predate this run.
   */
  static void ownerOnlyDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /** A job name without spaces, for the file's third field. */
  static String jobName(String job) {
    return job.trim().replaceAll("\\s+", "_");
  }
}

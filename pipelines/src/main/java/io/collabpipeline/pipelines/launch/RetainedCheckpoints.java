package io.collabpipeline.pipelines.launch;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The completed checkpoints and savepoints a streaming job left on the local file system, in
 * Flink's layout: {@code <checkpoint dir>/<job id>/chk-<n>/_metadata} (one job directory per run,
 * since every run gets a new job id) and {@code <savepoint dir>/savepoint-<...>/_metadata}.
 *
 * <p>A checkpoint counts as completed when its {@code _metadata} file reads back with Flink's own
 * loader ({@link Checkpoints#loadCheckpointMetadata}): Flink writes that file last, through a
 * temporary file it renames, so a directory without it is a checkpoint that was still being taken
 * when the job died, and one whose file does not load is damaged. Both are reported as {@link
 * Skipped}, never chosen. Reading the metadata only deserializes the state handles; it never
 * touches (or disposes of) the state files.
 *
 * <p>"Taken" is the modification time of {@code _metadata}: the moment the checkpoint completed.
 * The latest is chosen by that time, not by the checkpoint number, because a fresh run numbers its
 * checkpoints from 1 again while a resumed run continues the number of the one it resumed from.
 */
public final class RetainedCheckpoints {
  /** The file that completes a checkpoint or savepoint directory. */
  public static final String METADATA = "_metadata";

  private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");
  private static final String SAVEPOINT_PREFIX = "savepoint-";

  private RetainedCheckpoints() {}

  /**
   * A completed checkpoint or savepoint: where it is, its number and job, and when it was taken.
   */
  public static final class Snapshot {
    /** The {@code chk-<n>} or savepoint directory (what Flink restores from). */
    public final Path dir;

    public final long checkpointId;

    /** The job that took it (the name of its job directory); null for a savepoint. */
    public final @Nullable String jobId;

    public final Instant taken;

    Snapshot(Path dir, long checkpointId, @Nullable String jobId, Instant taken) {
      this.dir = dir;
      this.checkpointId = checkpointId;
      this.jobId = jobId;
      this.taken = taken;
    }

    public boolean isSavepoint() {
      return jobId == null;
    }

    /**
     * "checkpoint 3 of job 5f0c… at /path/chk-3 (taken 2026-11-22T10:15:03Z)", or "savepoint 3 at
     * …".
     */
    public String describe() {
      return (isSavepoint() ? "savepoint " + checkpointId : "checkpoint " + checkpointId)
          + (jobId == null ? "" : " of job " + jobId)
          + " at "
          + dir
          + " (taken "
          + taken.truncatedTo(ChronoUnit.SECONDS)
          + ")";
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** A directory that looks like a checkpoint but cannot be restored, and why. */
  public static final class Skipped {
    public final Path dir;
    public final String reason;

    /** The directory's own modification time: when Flink last wrote into it. */
    public final Instant modified;

    Skipped(Path dir, String reason, Instant modified) {
      this.dir = dir;
      this.reason = reason;
      this.modified = modified;
    }

    @Override
    public String toString() {
      return dir + ": " + reason;
    }
  }

  /** What a scan found: completed snapshots (oldest first) and skipped directories. */
  public static final class Scan {
    public final List<Snapshot> completed;
    public final List<Skipped> skipped;

    Scan(List<Snapshot> completed, List<Skipped> skipped) {
      this.completed = Collections.unmodifiableList(completed);
      this.skipped = Collections.unmodifiableList(skipped);
    }

    /** The latest completed snapshot, by the time it was taken. */
    public Optional<Snapshot> latest() {
      return completed.isEmpty()
          ? Optional.empty()
          : Optional.of(completed.get(completed.size() - 1));
    }
  }

  /** The order of "latest": time taken, then checkpoint number, then path (for a stable order). */
  static final Comparator<Snapshot> BY_TIME_TAKEN =
      Comparator.<Snapshot, Instant>comparing(s -> s.taken)
          .thenComparingLong(s -> s.checkpointId)
          .thenComparing(s -> s.dir.toString());

  /**
   * Every {@code chk-<n>} directory under every job directory of {@code checkpointDir}, and every
   * {@code savepoint-*} directory of {@code savepointDir} (null: none). A directory that does not
   * exist yet holds nothing.
   */
  public static Scan scan(Path checkpointDir, @Nullable Path savepointDir) throws IOException {
    List<Snapshot> completed = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Path jobDir : subdirectories(checkpointDir)) {
      for (Path dir : subdirectories(jobDir)) {
        Matcher m = CHECKPOINT_DIR.matcher(dir.getFileName().toString());
        if (m.matches()) {
          classify(dir, jobDir.getFileName().toString(), completed, skipped);
        }
      }
    }
    if (savepointDir != null) {
      for (Path dir : subdirectories(savepointDir)) {
        if (dir.getFileName().toString().startsWith(SAVEPOINT_PREFIX)) {
          classify(dir, null, completed, skipped);
        }
      }
    }
    completed.sort(BY_TIME_TAKEN);
    skipped.sort(Comparator.comparing(s -> s.modified));
    return new Scan(completed, skipped);
  }

  /**
   * The snapshot at {@code path}: a {@code chk-<n>} or savepoint directory, or its {@code
   * _metadata} file.
   *
   * @throws IOException whose message says why it cannot be restored (missing, no metadata,
   *     unreadable)
   */
  public static Snapshot read(Path path) throws IOException {
    Path dir =
        Files.isRegularFile(path) && path.getFileName().toString().equals(METADATA)
            ? path.getParent()
            : path;
    if (!Files.isDirectory(dir)) {
      throw new IOException("does not exist");
    }
    Path parent = dir.getParent();
    String jobId =
        CHECKPOINT_DIR.matcher(dir.getFileName().toString()).matches() && parent != null
            ? parent.getFileName().toString()
            : null;
    return load(dir, jobId);
  }

  private static void classify(
      Path dir, @Nullable String jobId, List<Snapshot> completed, List<Skipped> skipped)
      throws IOException {
    try {
      completed.add(load(dir, jobId));
    } catch (IOException e) {
      skipped.add(new Skipped(dir, e.getMessage(), Files.getLastModifiedTime(dir).toInstant()));
    }
  }

  private static Snapshot load(Path dir, @Nullable String jobId) throws IOException {
    Path metadata = dir.resolve(METADATA);
    if (!Files.isRegularFile(metadata)) {
      throw new IOException(
          "no " + METADATA + " (a checkpoint still being taken when its job stopped)");
    }
    CheckpointMetadata loaded;
    try {
      loaded = metadata(dir);
    } catch (IOException | RuntimeException e) {
      throw new IOException(
          "its " + METADATA + " does not load (" + CommandLine.rootMessage(e) + ")", e);
    }
    return new Snapshot(
        dir, loaded.getCheckpointId(), jobId, Files.getLastModifiedTime(metadata).toInstant());
  }

  /** The {@code _metadata} of the checkpoint or savepoint {@code dir}, by Flink's loader. */
  static CheckpointMetadata metadata(Path dir) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(dir.resolve(METADATA)))) {
      return Checkpoints.loadCheckpointMetadata(
          new DataInputStream(in),
          RetainedCheckpoints.class.getClassLoader(),
          dir.toUri().toString());
    }
  }

  private static List<Path> subdirectories(Path dir) throws IOException {
    List<Path> dirs = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return dirs;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path p : entries) {
        dirs.add(p);
      }
    }
    dirs.sort(Comparator.naturalOrder());
    return dirs;
  }
}

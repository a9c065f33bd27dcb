package io.collabpipeline.pipelines.launch;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;

/** Checkpoint directories as Flink leaves them, written without running Flink. */
final class CheckpointFiles {
  private CheckpointFiles() {}

  /** A completed checkpoint: {@code dir/_metadata} in Flink's format, modified at {@code taken}. */
  static Path completed(Path dir, long checkpointId, Instant taken) throws IOException {
    Files.createDirectories(dir);
    Path metadata = dir.resolve(RetainedCheckpoints.METADATA);
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(metadata))) {
      Checkpoints.storeCheckpointMetadata(
          new CheckpointMetadata(checkpointId, List.of(), List.of()), out);
    }
    Files.setLastModifiedTime(metadata, FileTime.from(taken));
    Files.setLastModifiedTime(dir, FileTime.from(taken));
    return dir;
  }

  /** A checkpoint being taken when its job died: the directory, no {@code _metadata}. */
  static Path incomplete(Path dir, Instant modified) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("3f2a-operator-state"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(dir, FileTime.from(modified));
    return dir;
  }

  /** A damaged checkpoint: a {@code _metadata} that is not Flink's. */
  static Path damaged(Path dir, Instant taken) throws IOException {
    Files.createDirectories(dir);
    Path metadata = dir.resolve(RetainedCheckpoints.METADATA);
    Files.write(metadata, "not a checkpoint".getBytes(StandardCharsets.UTF_8));
    Files.setLastModifiedTime(metadata, FileTime.from(taken));
    Files.setLastModifiedTime(dir, FileTime.from(taken));
    return dir;
  }
}

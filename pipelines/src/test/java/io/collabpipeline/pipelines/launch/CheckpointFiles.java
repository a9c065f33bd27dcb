package io.collabpipeline.pipelines.launch;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import org.apache.flink.shaded.guava31.com.google.common.hash.Hashing;

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

  /**
   * A completed checkpoint of a graph whose steps {@code stateful} hold state (a managed operator
   * state in each of two subtasks, as Beam's operators keep for their buffered output) and whose
   * steps {@code stateless} are operators without any: each operator under the id Flink gives the
   * uid Beam sets, the step's full name.
   */
  static Path completedWithState(
      Path dir,
      long checkpointId,
      Instant taken,
      Collection<String> stateful,
      Collection<String> stateless)
      throws IOException {
    List<OperatorState> operators = new ArrayList<>();
    for (String step : stateful) {
      OperatorState operator = new OperatorState(id(step), 2, 128);
      for (int subtask = 0; subtask < 2; subtask++) {
        operator.putState(
            subtask,
            OperatorSubtaskState.builder()
                .setManagedOperatorState(
                    new OperatorStreamStateHandle(
                        Map.of(
                            "buffered-output",
                            new OperatorStateHandle.StateMetaInfo(
                                new long[] {0}, OperatorStateHandle.Mode.SPLIT_DISTRIBUTE)),
                        new ByteStreamStateHandle(step + "-" + subtask, new byte[] {1, 2, 3, 4})))
                .build());
      }
      operators.add(operator);
    }
    for (String step : stateless) {
      OperatorState operator = new OperatorState(id(step), 2, 128);
      operator.putState(0, OperatorSubtaskState.builder().build());
      operator.putState(1, OperatorSubtaskState.builder().build());
      operators.add(operator);
    }
    Files.createDirectories(dir);
    Path metadata = dir.resolve(RetainedCheckpoints.METADATA);
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(metadata))) {
      Checkpoints.storeCheckpointMetadata(
          new CheckpointMetadata(checkpointId, operators, List.of()), out);
    }
    Files.setLastModifiedTime(metadata, FileTime.from(taken));
    Files.setLastModifiedTime(dir, FileTime.from(taken));
    return dir;
  }

  /** The operator id of a step, computed here as Flink does for a uid. */
  private static OperatorID id(String step) {
    return new OperatorID(
        Hashing.murmur3_128(0)
            .newHasher()
            .putString(step, StandardCharsets.UTF_8)
            .hash()
            .asBytes());
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

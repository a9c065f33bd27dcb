package io.collabpipeline.pipelines.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.shaded.guava31.com.google.common.hash.Hashing;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The steps a checkpoint holds state for, against the steps of the graph that is about to resume
 * from it.
 *
 * <p>Flink maps a checkpoint's state to the operators of the new job by operator id, and Beam's
 * Flink runner gives every operator the full name of its step as its uid, whose id is the 128-bit
 * Murmur3 hash of that name (seed 0; Flink's {@code StreamGraphHasherV2}). A step that holds state
 * in the checkpoint and is not in the new graph (renamed or removed, or a progress counter that
 * {@code --progressSeconds=0} leaves out) makes Flink refuse the restore after the job has started,
 * with a stack trace; with {@code --allowNonRestoredState=true} Flink drops that state silently,
 * whatever it held. The launcher checks before the job starts instead ({@link #check}), and names
 * the steps: the graph of each start is recorded beside the checkpoints ({@link #record}), so that
 * a later build can tell what a checkpoint's unknown ids were.
 *
 * <p>What may be dropped depends on what the state feeds ({@link Kind}): the progress counters
 * output nothing; the metrics, the completeness counts and the warehouse writes are rebuilt by a
 * correction replay of the dates their windows were open (the launcher records them as due); the
 * source's offsets, the dedup's memory and the pending files of the raw store, the quarantine and
 * the duplicate ledger are not rebuilt by anything, so a checkpoint whose state of such a step (or
 * of a step no start recorded) the new graph lacks is never resumed: {@code --fresh=true} reads
 * again from the committed offsets instead (README, Resume).
 */
public final class CheckpointSteps {
  /**
   * The prefix of the graphs' step lists in the checkpoint directory, {@code steps-<hash>.txt}
   * beside {@code generations}: files, since every directory there is a job's.
   */
  static final String PREFIX = "steps-";

  /** What dropping a step's state loses. */
  enum Kind {
    /** A local progress counter: it outputs nothing, its state holds nothing of the data. */
    NOTHING,
    /** Metric, completeness or warehouse-write state: rebuilt by a correction replay. */
    REPLAYED,
    /** Anything else, and a step no recorded graph names: lost for good. */
    LOST
  }

  private static final List<String> COUNTERS = List.of("TrackProgress", "TrackAccepted");
  private static final List<String> REPLAYED_STEPS =
      List.of("ComputeMetrics", "ComputeCompleteness", "WriteCurated");

  private CheckpointSteps() {}

  /** Flink's id of the operator Beam builds for the step {@code fullName}, as hex. */
  static String operatorId(String fullName) {
    byte[] hash =
        Hashing.murmur3_128(0)
            .newHasher()
            .putString(fullName, StandardCharsets.UTF_8)
            .hash()
            .asBytes();
    return new OperatorID(hash).toHexString();
  }

  /**
   * Every named node of {@code pipeline}, composite and primitive, sorted (the order of parallel
   * branches is not a name).
   */
  public static List<String> names(Pipeline pipeline) {
    TreeSet<String> names = new TreeSet<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            if (!node.isRootNode()) {
              names.add(node.getFullName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            names.add(node.getFullName());
          }
        });
    return new ArrayList<>(names);
  }

  /**
   * The ids of the operators that hold state in the checkpoint or savepoint {@code snapshotDir}, as
   * Flink decides it when it restores: a coordinator's state, or any subtask's.
   */
  static Set<String> statefulOperators(Path snapshotDir) throws IOException {
    Set<String> ids = new HashSet<>();
    for (OperatorState operator : RetainedCheckpoints.metadata(snapshotDir).getOperatorStates()) {
      boolean stateful = operator.getCoordinatorState() != null;
      for (OperatorSubtaskState subtask : operator.getStates()) {
        stateful |= subtask.hasState();
      }
      if (stateful) {
        ids.add(operator.getOperatorID().toHexString());
      }
    }
    return ids;
  }

  /**
   * Records {@code names} in {@code checkpointDir}, as {@code steps-<hash>.txt} with a hash of
   * their content, so that starts of one graph share one file. Written to a temporary file and
   * moved, so a crash never leaves a partial list under that name.
   */
  static void record(Path checkpointDir, List<String> names) throws IOException {
    byte[] content = (String.join("\n", names) + "\n").getBytes(StandardCharsets.UTF_8);
    GenerationHistory.ownerOnlyDirectory(checkpointDir);
    Path file = checkpointDir.resolve(PREFIX + sha256(content).substring(0, 16) + ".txt");
    if (Files.isRegularFile(file)) {
      return;
    }
    Path tmp = Files.createTempFile(checkpointDir, "." + PREFIX, ".tmp");
    Files.write(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The step names of every graph recorded in {@code checkpointDir}, by operator id. */
  static Map<String, String> recorded(Path checkpointDir) throws IOException {
    Map<String, String> byId = new HashMap<>();
    if (!Files.isDirectory(checkpointDir)) {
      return byId;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(checkpointDir, PREFIX + "*.txt")) {
      for (Path file : files) {
        for (String name : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!name.isEmpty()) {
            byId.put(operatorId(name), name);
          }
        }
      }
    }
    return byId;
  }

  /** What a step's state feeds, by its full name; null (unnamed) is {@link Kind#LOST}. */
  static Kind kindOf(@Nullable String fullName) {
    if (fullName == null) {
      return Kind.LOST;
    }
    String top = fullName.split("/", 2)[0];
    if (COUNTERS.contains(top)) {
      return Kind.NOTHING;
    }
    return REPLAYED_STEPS.contains(top) ? Kind.REPLAYED : Kind.LOST;
  }

  /** The state of a checkpoint that the new graph has no step for. */
  static final class Dropped {
    /** The steps by name (those that no recorded graph names as {@code operator <id>}), sorted. */
    final List<String> steps;

    /** The worst {@link Kind} among them; {@link Kind#NOTHING} when there are none. */
    final Kind worst;

    private Dropped(List<String> steps, Kind worst) {
      this.steps = steps;
      this.worst = worst;
    }

    boolean isEmpty() {
      return steps.isEmpty();
    }

    /**
     * {@link #steps}, or those of kind {@code kind}, in a few words: see {@link #describe(List)}.
     */
    String describe(@Nullable Kind kind) {
      return CheckpointSteps.describe(kind == null ? steps : of(kind));
    }

    /** The steps of kind {@code kind}. */
    List<String> of(Kind kind) {
      List<String> of = new ArrayList<>();
      for (String s : steps) {
        if (kindOf(s.startsWith(UNNAMED) ? null : s) == kind) {
          of.add(s);
        }
      }
      return of;
    }
  }

  private static final String UNNAMED = "operator ";

  /**
   * The stateful operators of a checkpoint ({@link #statefulOperators}) that no step of {@code
   * graph} has, named from {@code recorded} ({@link #recorded}).
   */
  static Dropped check(
      Set<String> statefulIds, Collection<String> graph, Map<String, String> recorded) {
    Set<String> present = new HashSet<>();
    for (String name : graph) {
      present.add(operatorId(name));
    }
    TreeSet<String> steps = new TreeSet<>();
    Kind worst = Kind.NOTHING;
    for (String id : statefulIds) {
      if (present.contains(id)) {
        continue;
      }
      String name = recorded.get(id);
      steps.add(name == null ? UNNAMED + id : name);
      Kind kind = kindOf(name);
      if (kind.compareTo(worst) > 0) {
        worst = kind;
      }
    }
    return new Dropped(new ArrayList<>(steps), worst);
  }

  /** How many steps under one top-level step {@link #describe} names one by one. */
  private static final int SHOWN = 3;

  /**
   * Steps by their top-level step: the full names of up to {@value #SHOWN} steps under one, {@code
   * Top/… (n steps)} for more; operators that no recorded graph names are counted, one id shown.
   */
  static String describe(List<String> steps) {
    Map<String, List<String>> byTop = new TreeMap<>();
    List<String> unnamed = new ArrayList<>();
    for (String step : steps) {
      if (step.startsWith(UNNAMED)) {
        unnamed.add(step);
      } else {
        byTop.computeIfAbsent(step.split("/", 2)[0], k -> new ArrayList<>()).add(step);
      }
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, List<String>> top : byTop.entrySet()) {
      if (top.getValue().size() <= SHOWN) {
        parts.addAll(top.getValue());
      } else {
        parts.add(top.getKey() + "/… (" + top.getValue().size() + " steps)");
      }
    }
    if (unnamed.size() == 1) {
      parts.add(unnamed.get(0) + " (no recorded graph names it)");
    } else if (!unnamed.isEmpty()) {
      parts.add(unnamed.size() + " operators no recorded graph names (" + unnamed.get(0) + ", …)");
    }
    return String.join(", ", parts);
  }

  private static String sha256(byte[] content) {
    try {
      StringBuilder hex = new StringBuilder();
      for (byte b : MessageDigest.getInstance("SHA-256").digest(content)) {
        hex.append(String.format(Locale.ROOT, "%02x", b));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}

package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.DiscardingSink;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Which state of a checkpoint a graph would drop, by step, and what dropping it loses: checkpoints
 * written in Flink's format with operators under the ids of named steps.
 */
@RunWith(JUnit4.class)
public class CheckpointStepsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Instant T = Instant.parse("2026-12-06T12:00:00Z");

  private static final String READ =
      "ReadKafka/ReadKafkaRecords/KafkaIO.Read.ReadFromKafkaViaUnbounded/Read(KafkaUnboundedSource)";
  private static final String DEDUP = "DedupByEventId/KeepEarliestAndRemember";
  private static final String RAW =
      "WriteRawArchive/WriteParquet/WriteFiles/WriteShardedBundlesToTempFiles/GroupIntoShards";
  private static final String COMBINE = "ComputeMetrics/CombinePerKey";
  private static final String IN_BUNDLE =
      "ComputeMetrics/CombineInBundle/ParMultiDo(CombineInBundle)";
  private static final String COUNTER = "TrackProgress/ParMultiDo(Count)";

  @Test
  public void aStepsIdIsTheOneFlinkGivesTheOperatorWithItsNameAsUid() throws Exception {
    // The oracle is Flink's own job graph: Beam's runner sets each operator's uid to its step's
    // full name.
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.fromSequence(1, 2)
        .uid(READ)
        .map(x -> x)
        .uid(IN_BUNDLE)
        .keyBy(x -> x % 2)
        .reduce(Long::sum)
        .uid(COMBINE)
        .addSink(new DiscardingSink<>())
        .uid("WriteCurated/UpsertCuratedRows/ParMultiDo(Write)");
    JobGraph job = env.getStreamGraph().getJobGraph();
    Set<String> flinkIds = new HashSet<>();
    for (JobVertex vertex : job.getVertices()) {
      for (OperatorIDPair pair : vertex.getOperatorIDs()) {
        flinkIds.add(pair.getGeneratedOperatorID().toHexString());
      }
    }
    Set<String> ours =
        Stream.of(READ, IN_BUNDLE, COMBINE, "WriteCurated/UpsertCuratedRows/ParMultiDo(Write)")
            .map(CheckpointSteps::operatorId)
            .collect(Collectors.toSet());

    assertThat(flinkIds, equalTo(ours));
  }

  @Test
  public void theSameGraphDropsNothingAndAStatelessOperatorIsNeverDropped() throws Exception {
    Path chk =
        CheckpointFiles.completedWithState(
            tmp.getRoot().toPath().resolve("job/chk-1"),
            1,
            T,
            List.of(READ, DEDUP, RAW, COMBINE),
            List.of("ComputeMetrics/MetricWindows/Window.Assign"));

    CheckpointSteps.Dropped dropped =
        CheckpointSteps.check(
            CheckpointSteps.statefulOperators(chk), List.of(READ, DEDUP, RAW, COMBINE), Map.of());

    assertThat(dropped.isEmpty(), is(true));
    assertThat(dropped.worst, equalTo(CheckpointSteps.Kind.NOTHING));
  }

  @Test
  public void aRenamedMetricStepIsNamedFromTheRecordedGraphAndRebuiltByAReplay() throws Exception {
    Path dir = tmp.getRoot().toPath();
    CheckpointSteps.record(dir, List.of(READ, DEDUP, RAW, COMBINE, IN_BUNDLE));
    Path chk =
        CheckpointFiles.completedWithState(
            dir.resolve("job/chk-4"),
            4,
            T,
            List.of(READ, DEDUP, RAW, COMBINE, IN_BUNDLE),
            List.of());
    List<String> renamed =
        List.of(READ, DEDUP, RAW, COMBINE, "ComputeMetrics/HoldInBundle/ParMultiDo(Hold)");

    CheckpointSteps.Dropped dropped =
        CheckpointSteps.check(
            CheckpointSteps.statefulOperators(chk), renamed, CheckpointSteps.recorded(dir));

    assertThat(dropped.steps, equalTo(List.of(IN_BUNDLE)));
    assertThat(dropped.worst, equalTo(CheckpointSteps.Kind.REPLAYED));
    assertThat(dropped.of(CheckpointSteps.Kind.REPLAYED), equalTo(List.of(IN_BUNDLE)));
  }

  @Test
  public void aRenamedRawArchiveOrDedupStepIsLostForGood() throws Exception {
    Path dir = tmp.getRoot().toPath();
    CheckpointSteps.record(dir, List.of(READ, DEDUP, RAW, COMBINE));
    Path chk =
        CheckpointFiles.completedWithState(
            dir.resolve("job/chk-2"), 2, T, List.of(READ, DEDUP, RAW, COMBINE), List.of());

    CheckpointSteps.Dropped dropped =
        CheckpointSteps.check(
            CheckpointSteps.statefulOperators(chk),
            List.of(READ, "DedupByEventId/RememberIds", COMBINE, "ComputeMetrics/Other"),
            CheckpointSteps.recorded(dir));

    assertThat(dropped.steps, containsInAnyOrder(DEDUP, RAW));
    assertThat(dropped.worst, equalTo(CheckpointSteps.Kind.LOST));
    assertThat(dropped.of(CheckpointSteps.Kind.LOST), hasSize(2));
  }

  @Test
  public void aStepNoRecordedGraphNamesIsLostAndShownByItsId() throws Exception {
    Path dir = tmp.getRoot().toPath();
    Path chk =
        CheckpointFiles.completedWithState(
            dir.resolve("job/chk-2"), 2, T, List.of(READ, COMBINE), List.of());

    CheckpointSteps.Dropped dropped =
        CheckpointSteps.check(
            CheckpointSteps.statefulOperators(chk), List.of(READ), CheckpointSteps.recorded(dir));

    assertThat(dropped.steps, equalTo(List.of("operator " + CheckpointSteps.operatorId(COMBINE))));
    assertThat(dropped.worst, equalTo(CheckpointSteps.Kind.LOST));
  }

  @Test
  public void progressCountersLoseNothing() throws Exception {
    Path dir = tmp.getRoot().toPath();
    CheckpointSteps.record(dir, List.of(READ, COUNTER, COMBINE));
    Path chk =
        CheckpointFiles.completedWithState(
            dir.resolve("job/chk-2"), 2, T, List.of(READ, COUNTER, COMBINE), List.of());

    CheckpointSteps.Dropped dropped =
        CheckpointSteps.check(
            CheckpointSteps.statefulOperators(chk),
            List.of(READ, COMBINE),
            CheckpointSteps.recorded(dir));

    assertThat(dropped.steps, equalTo(List.of(COUNTER)));
    assertThat(dropped.worst, equalTo(CheckpointSteps.Kind.NOTHING));
    assertThat(dropped.of(CheckpointSteps.Kind.REPLAYED), is(empty()));
  }

  @Test
  public void stepsAreDescribedByTheirTopLevelStepAndUnnamedOnesCounted() {
    assertThat(
        CheckpointSteps.describe(
            List.of(
                COMBINE,
                IN_BUNDLE,
                RAW,
                "WriteRawArchive/A",
                "WriteRawArchive/B",
                "WriteRawArchive/C",
                "operator 0a",
                "operator 0b")),
        equalTo(
            COMBINE
                + ", "
                + IN_BUNDLE
                + ", WriteRawArchive/… (4 steps), 2 operators no recorded graph names"
                + " (operator 0a, …)"));
    assertThat(
        CheckpointSteps.describe(List.of("operator 0a")),
        equalTo("operator 0a (no recorded graph names it)"));
  }

  @Test
  public void eachGraphIsRecordedOnceAndEveryRecordedGraphNamesItsSteps() throws Exception {
    Path dir = tmp.getRoot().toPath();
    CheckpointSteps.record(dir, List.of(READ, COMBINE));
    CheckpointSteps.record(dir, List.of(READ, COMBINE));
    CheckpointSteps.record(dir, List.of(READ, IN_BUNDLE));

    List<Path> files = new ArrayList<>();
    try (Stream<Path> listed = Files.list(dir)) {
      listed.filter(p -> p.getFileName().toString().startsWith("steps-")).forEach(files::add);
    }
    Map<String, String> recorded = CheckpointSteps.recorded(dir);

    assertThat(files, hasSize(2));
    assertThat(recorded.get(CheckpointSteps.operatorId(COMBINE)), equalTo(COMBINE));
    assertThat(recorded.get(CheckpointSteps.operatorId(IN_BUNDLE)), equalTo(IN_BUNDLE));
    assertThat(recorded.values(), hasItem(READ));
  }
}

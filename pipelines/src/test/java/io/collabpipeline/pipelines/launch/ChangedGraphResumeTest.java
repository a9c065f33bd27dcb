package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.model.Granularity;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.warehouse.CorrectionDue;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * A Kafka stream resumed by a build whose graph lacks steps its checkpoint holds state for: what
 * the launcher refuses before the job starts, and what it lets Flink drop. The checkpoints hold
 * state for every step of the real live graph (as this build builds it), plus the steps a test adds
 * as those of an earlier build, recorded beside them as a start records its graph.
 */
@RunWith(JUnit4.class)
public class ChangedGraphResumeTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final String JOB = "kafka:collab-events@collab-pipeline";
  private static final Instant T = Instant.now().minusSeconds(600);

  private String dataDir;
  private Path checkpoints;

  @Before
  public void dirs() throws Exception {
    dataDir = tmp.newFolder("data").getPath();
    checkpoints = Paths.get(dataDir, "checkpoints");
    GenerationHistory.append(checkpoints, new GenerationHistory.Entry(T.toEpochMilli(), 111L, JOB));
  }

  private String[] args(String... more) {
    List<String> all =
        new ArrayList<>(
            Arrays.asList("--source=kafka", "--allowDevKey=true", "--dataDir=" + dataDir));
    all.addAll(Arrays.asList(more));
    return all.toArray(new String[0]);
  }

  /** The steps of the live graph these arguments build. */
  private List<String> graph(String... more) {
    CollabPipelineOptions options = CommandLine.parseOptions(args(more));
    Pipeline pipeline = Pipeline.create(options);
    LiveJob.build(pipeline, JobConfig.from(CommandLine.parseOptions(args(more))));
    return CheckpointSteps.names(pipeline);
  }

  /** A checkpoint of an earlier build: the graph {@code steps}, recorded as its start did. */
  private Path checkpointOf(List<String> steps) throws Exception {
    CheckpointSteps.record(checkpoints, steps);
    return CheckpointFiles.completedWithState(
        checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30), steps, List.of());
  }

  private static List<String> plus(List<String> steps, String... more) {
    List<String> all = new ArrayList<>(steps);
    all.addAll(Arrays.asList(more));
    return all;
  }

  /** Runs the command line up to the point where the job would start; returns stderr. */
  private String refused(String... more) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobLauncher.runCli(
            args(more),
            new PrintStream(OutputStream.nullOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code, equalTo(2));
    return err.toString(StandardCharsets.UTF_8);
  }

  /** The Flink configuration the launcher hands the embedded cluster for these arguments. */
  private Configuration launched(String... more) {
    CollabPipelineOptions options = CommandLine.parseOptions(args(more));
    JobLauncher.forConfig(
        options, JobConfig.from(options), new PrintStream(OutputStream.nullOutputStream()));
    return GlobalConfiguration.loadConfiguration(
        options.as(FlinkPipelineOptions.class).getFlinkConfDir());
  }

  @Test
  public void aCheckpointOfTheSameGraphResumesWithoutDroppingAnything() throws Exception {
    Path chk = checkpointOf(graph());

    Configuration conf = launched();

    assertThat(conf.getString("execution.savepoint.path", null), equalTo(chk.toUri().toString()));
    assertThat(
        conf.getString("execution.savepoint.ignore-unclaimed-state", null), equalTo("false"));
  }

  @Test
  public void aRenamedMetricStepIsRefusedInOneLineThatNamesItAndTheWayOn() throws Exception {
    checkpointOf(plus(graph(), "ComputeMetrics/HoldInBundle/ParMultiDo(Hold)"));

    String err = refused();

    assertThat(err.trim().split("\n").length, equalTo(1));
    assertThat(err, startsWith("collab-pipeline: checkpoint 3 of job aaaa"));
    assertThat(err, containsString("ComputeMetrics/HoldInBundle/ParMultiDo(Hold)"));
    assertThat(err, containsString("--allowNonRestoredState=true"));
    assertThat(err, not(containsString("Exception")));
  }

  @Test
  public void withAllowNonRestoredStateARenamedMetricStepsStateIsDropped() throws Exception {
    Path chk = checkpointOf(plus(graph(), "ComputeMetrics/HoldInBundle/ParMultiDo(Hold)"));

    Configuration conf = launched("--allowNonRestoredState=true");

    assertThat(conf.getString("execution.savepoint.path", null), equalTo(chk.toUri().toString()));
    assertThat(conf.getString("execution.savepoint.ignore-unclaimed-state", null), equalTo("true"));
  }

  @Test
  public void aRenamedRawArchiveStepIsRefusedEvenWithAllowNonRestoredState() throws Exception {
    checkpointOf(
        plus(graph(), "WriteRawArchive/WriteParquet/WriteFiles/WriteUnshardedBundles/Write"));

    String err = refused("--allowNonRestoredState=true");

    assertThat(err.trim().split("\n").length, equalTo(1));
    assertThat(
        err, containsString("WriteRawArchive/WriteParquet/WriteFiles/WriteUnshardedBundles"));
    assertThat(err, containsString("--fresh=true"));
  }

  @Test
  public void aCheckpointOfAnUnrecordedGraphWithStateThisOneLacksIsRefused() throws Exception {
    CheckpointFiles.completedWithState(
        checkpoints.resolve("aaaa/chk-3"),
        3,
        T.plusSeconds(30),
        plus(graph(), "ComputeMetrics/Unknown"),
        List.of());

    String err = refused("--allowNonRestoredState=true");

    assertThat(
        err, containsString("operator " + CheckpointSteps.operatorId("ComputeMetrics/Unknown")));
    assertThat(err, containsString("--fresh=true"));
  }

  @Test
  public void progressCountersLeftOutAreSkippedWithoutBeingAskedFor() throws Exception {
    List<String> withProgress = graph();
    assertThat(withProgress.contains("TrackProgress"), equalTo(true));
    checkpointOf(withProgress);

    Configuration conf = launched("--progressSeconds=0");

    assertThat(conf.getString("execution.savepoint.ignore-unclaimed-state", null), equalTo("true"));
  }

  @Test
  public void theDaysOpenAtACheckpointRunFromTheEarlierOfItsTimeAndTheCommittedArrival() {
    io.collabpipeline.pipelines.GraphConfig graph =
        JobConfig.from(CommandLine.parseOptions(args())).graph;
    // The default allowed lateness is 2 hours.
    Instant taken = Instant.parse("2026-12-06T01:00:00Z");

    assertThat(
        dates(JobLauncher.daysOpenAtCheckpoint(graph, taken, Optional.empty())),
        equalTo(List.of(LocalDate.parse("2026-12-05"), LocalDate.parse("2026-12-06"))));
    assertThat(
        dates(
            JobLauncher.daysOpenAtCheckpoint(
                graph, taken, Optional.of(Instant.parse("2026-12-04T23:30:00Z")))),
        equalTo(
            List.of(
                LocalDate.parse("2026-12-04"),
                LocalDate.parse("2026-12-05"),
                LocalDate.parse("2026-12-06"))));
    assertThat(
        dates(
            JobLauncher.daysOpenAtCheckpoint(
                graph, taken, Optional.of(Instant.parse("2026-12-06T00:59:00Z")))),
        equalTo(List.of(LocalDate.parse("2026-12-05"), LocalDate.parse("2026-12-06"))));
  }

  private static List<LocalDate> dates(List<CorrectionDue> due) {
    List<LocalDate> dates = new ArrayList<>();
    for (CorrectionDue d : due) {
      assertThat(d.granularity(), equalTo(Granularity.DAY.code()));
      dates.add(d.windowStart().atZone(ZoneOffset.UTC).toLocalDate());
    }
    return dates;
  }
}

package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.Warehouse;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.Assert;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * How a Kafka job starts, from the options and what is retained under its checkpoint directory: the
 * decision, the start line, the generation, and what the launcher hands to Flink.
 */
@RunWith(JUnit4.class)
public class ResumeConfigTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final String JOB = "kafka:collab-events@collab-pipeline";
  private static final Instant T = Instant.now().minusSeconds(600);

  private String dataDir;
  private Path checkpoints;

  @Before
  public void dirs() throws Exception {
    dataDir = tmp.newFolder("data").getPath();
    checkpoints = Paths.get(dataDir, "checkpoints");
  }

  private JobConfig config(String... args) {
    List<String> all =
        new ArrayList<>(
            Arrays.asList("--source=kafka", "--allowDevKey=true", "--dataDir=" + dataDir));
    all.addAll(Arrays.asList(args));
    return JobConfig.from(CommandLine.parseOptions(all.toArray(new String[0])));
  }

  private static String lastLine(JobConfig c) {
    List<String> lines = c.resume.startLines();
    return lines.get(lines.size() - 1);
  }

  /** A run of this job started at {@code started} with {@code generation}. */
  private void ran(Instant started, long generation, String job) throws Exception {
    GenerationHistory.append(
        checkpoints, new GenerationHistory.Entry(started.toEpochMilli(), generation, job));
  }

  @Test
  public void aKafkaJobResumesFromItsLatestCheckpointAndContinuesItsGeneration() throws Exception {
    ran(T, 111L, JOB);
    Path chk = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));

    JobConfig c = config();

    assertThat(c.resume.start, equalTo(ResumeConfig.Start.RESUME));
    assertThat(c.resume.from.dir, equalTo(chk));
    assertThat(c.resume.generation, equalTo(111L));
    assertThat(c.graph.generation(), equalTo(111L));
    assertThat(
        lastLine(c),
        equalTo(
            "collab-pipeline: resuming from checkpoint 3 of job aaaa at "
                + chk
                + " (taken "
                + T.plusSeconds(30).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                + "); generation 111 (continued)"));
  }

  @Test
  public void theLauncherHandsTheCheckpointToTheEmbeddedFlinkAndRetainsCheckpoints()
      throws Exception {
    ran(T, 111L, JOB);
    Path chk = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    CollabPipelineOptions options =
        CommandLine.parseOptions(
            new String[] {"--source=kafka", "--allowDevKey=true", "--dataDir=" + dataDir});
    JobLauncher.forConfig(
        options, JobConfig.from(options), new PrintStream(OutputStream.nullOutputStream()));
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);

    assertThat(flink.getSavepointPath(), equalTo(chk.toUri().toString()));
    assertThat(flink.isExternalizedCheckpointsEnabled(), is(true));
    assertThat(flink.getRetainExternalizedCheckpointsOnCancellation(), is(true));
    // Beam ignores --savepointPath for an embedded cluster: the configuration it builds from says
    // it.
    Configuration conf = GlobalConfiguration.loadConfiguration(flink.getFlinkConfDir());
    assertThat(conf.getString("execution.savepoint.path", null), equalTo(chk.toUri().toString()));
    assertThat(
        conf.getString("execution.savepoint.ignore-unclaimed-state", null), equalTo("false"));
  }

  @Test
  public void aFlinkConfigurationKeepsItsSettingsAndGainsTheRestore() throws Exception {
    Path cp = tmp.newFolder("flink-checkpoints").toPath();
    Path confDir = tmp.newFolder("conf").toPath();
    Files.writeString(
        confDir.resolve("config.yaml"),
        "state.checkpoints.dir: "
            + cp.toUri()
            + "\nparallelism.default: 2\nexecution.checkpointing.interval: 10 s",
        StandardCharsets.UTF_8);
    Path chk = CheckpointFiles.completed(cp.resolve("aaaa/chk-8"), 8, T);
    CollabPipelineOptions options =
        CommandLine.parseOptions(
            new String[] {
              "--source=kafka",
              "--allowDevKey=true",
              "--dataDir=" + dataDir,
              "--flinkConfDir=" + confDir,
              "--allowNonRestoredState=true"
            });
    JobConfig c = JobConfig.from(options);
    JobLauncher.forConfig(options, c, new PrintStream(OutputStream.nullOutputStream()));
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);

    assertThat(c.resume.from.dir, equalTo(chk));
    assertThat(c.resume.checkpointDir, equalTo(cp));
    assertThat(flink.getFlinkConfDir(), not(equalTo(confDir.toString())));
    Configuration conf = GlobalConfiguration.loadConfiguration(flink.getFlinkConfDir());
    assertThat(conf.getString("state.checkpoints.dir", null), equalTo(cp.toUri().toString()));
    assertThat(conf.getString("parallelism.default", null), equalTo("2"));
    assertThat(conf.getString("execution.savepoint.path", null), equalTo(chk.toUri().toString()));
    assertThat(conf.getString("execution.savepoint.ignore-unclaimed-state", null), equalTo("true"));
    // The launcher's default checkpoint settings stay off: the configuration decides them.
    assertThat(flink.getStateBackend(), nullValue());
  }

  @Test
  public void freshTakesANewGenerationAndRestoresNothing() throws Exception {
    ran(T, 111L, JOB);
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    CollabPipelineOptions options =
        CommandLine.parseOptions(
            new String[] {
              "--source=kafka", "--allowDevKey=true", "--dataDir=" + dataDir, "--fresh=true"
            });
    JobConfig c = JobConfig.from(options);
    JobLauncher.forConfig(options, c, new PrintStream(OutputStream.nullOutputStream()));

    assertThat(c.resume.start, equalTo(ResumeConfig.Start.FRESH));
    assertThat(c.resume.generation, not(equalTo(111L)));
    assertThat(
        lastLine(c),
        equalTo(
            "collab-pipeline: starting fresh (--fresh); generation "
                + c.resume.generation
                + " (new)"));
    assertThat(options.as(FlinkPipelineOptions.class).getSavepointPath(), nullValue());
  }

  @Test
  public void nothingRetainedStartsFreshAndSaysWhereItLooked() throws Exception {
    JobConfig c = config();
    assertThat(c.resume.start, equalTo(ResumeConfig.Start.FRESH));
    assertThat(
        lastLine(c),
        startsWith(
            "collab-pipeline: starting fresh (no retained checkpoint under " + checkpoints + ")"));
  }

  @Test
  public void anIncompleteNewerCheckpointIsSkippedAndSaidSo() throws Exception {
    ran(T, 111L, JOB);
    Path chk = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    ran(T.plusSeconds(60), 111L, JOB);
    Path killed = CheckpointFiles.incomplete(checkpoints.resolve("bbbb/chk-4"), T.plusSeconds(70));

    JobConfig c = config();

    assertThat(c.resume.from.dir, equalTo(chk));
    assertThat(
        c.resume.startLines().get(0),
        equalTo(
            "collab-pipeline: skipped "
                + killed
                + ": no _metadata (a checkpoint still being taken when its job stopped)"));
  }

  @Test
  public void aResumeContinuesTheGenerationOfTheRunThatTookTheCheckpoint() throws Exception {
    ran(T, 111L, JOB);
    Path chk = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    // A later fresh run (generation 222) died before its first checkpoint completed.
    ran(T.plusSeconds(60), 222L, JOB);
    CheckpointFiles.incomplete(checkpoints.resolve("bbbb/chk-1"), T.plusSeconds(70));

    JobConfig c = config();

    assertThat(c.resume.from.dir, equalTo(chk));
    assertThat(c.resume.generation, equalTo(111L));
  }

  @Test
  public void recordStartMakesTheNextResumeContinueTheGeneration() throws Exception {
    JobConfig first = config("--fresh=true", "--generation=4242");
    first.resume.recordStart(T.toEpochMilli());
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-2"), 2, T.plusSeconds(5));

    JobConfig second = config();

    assertThat(second.resume.generation, equalTo(4242L));
    assertThat(second.resume.generationOrigin, equalTo(ResumeConfig.GenerationOrigin.CONTINUED));
  }

  @Test
  public void theCheckpointDirectoryIsOwnerOnlyEvenWhenItExistedOpen() throws Exception {
    java.nio.file.Files.createDirectories(checkpoints);
    java.nio.file.Files.setPosixFilePermissions(
        checkpoints, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));

    config("--fresh=true").resume.recordStart(T.toEpochMilli());

    assertThat(
        java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(checkpoints)),
        equalTo("rwx------"));
  }

  @Test
  public void aCheckpointOfAnotherJobInASharedDirectoryIsNotResumed() throws Exception {
    ran(T, 111L, JOB);
    Path mine = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    ran(T.plusSeconds(60), 555L, "generator");
    Path theirs =
        CheckpointFiles.completed(checkpoints.resolve("bbbb/chk-9"), 9, T.plusSeconds(90));

    JobConfig c = config();

    assertThat(c.resume.from.dir, equalTo(mine));
    assertThat(c.resume.generation, equalTo(111L));
    assertThat(
        c.resume.startLines().get(0),
        equalTo("collab-pipeline: skipped " + theirs + ": taken by another job (generator)"));
  }

  @Test
  public void aGivenGenerationWinsOverTheContinuedOne() throws Exception {
    ran(T, 111L, JOB);
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));

    JobConfig c = config("--generation=999");

    assertThat(c.resume.start, equalTo(ResumeConfig.Start.RESUME));
    assertThat(c.graph.generation(), equalTo(999L));
    assertThat(lastLine(c), containsString("; generation 999 (given by --generation)"));
  }

  @Test
  public void anExplicitSavepointPathIsCheckedAndResumedFrom() throws Exception {
    ran(T, 111L, JOB);
    Path older = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T.plusSeconds(30));
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-4"), 4, T.plusSeconds(40));

    JobConfig c = config("--savepointPath=" + older);

    assertThat(c.resume.from.dir, equalTo(older));
    assertThat(c.resume.generation, equalTo(111L));
    assertThat(lastLine(c), containsString("resuming from checkpoint 3 of job aaaa at " + older));
    assertThat(lastLine(c), containsString(", as --savepointPath says; generation 111"));
  }

  @Test
  public void aSavepointPathThatDoesNotExistIsAOneLineUsageError() throws Exception {
    String missing = checkpoints.resolve("aaaa/chk-77").toString();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        JobLauncher.runCli(
            new String[] {
              "--source=kafka",
              "--allowDevKey=true",
              "--dataDir=" + dataDir,
              "--savepointPath=" + missing
            },
            new PrintStream(OutputStream.nullOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e, code, equalTo(2));
    assertThat(e.trim().split("\n").length, equalTo(1));
    assertThat(e, startsWith("collab-pipeline: --savepointPath=" + missing + ": does not exist"));
  }

  @Test
  public void contradictionsAndMisplacedOptionsAreUsageErrors() throws Exception {
    Path chk = CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T);
    assertThat(
        usageError(
            "--source=kafka", "--allowDevKey=true", "--fresh=true", "--savepointPath=" + chk),
        containsString("contradict"));
    assertThat(
        usageError("--fresh=true"), containsString("--fresh=true only applies to streaming"));
    assertThat(
        usageError("--source=kafka", "--allowDevKey=true", "--runner=DirectRunner", "--fresh=true"),
        containsString("--fresh=true only applies to the Flink runner"));
    assertThat(
        usageError("--savepointPath=" + chk),
        containsString("--savepointPath=" + chk + " only applies to streaming"));
  }

  @Test
  public void batchJobsAreNotAffected() throws Exception {
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T);
    JobConfig c = JobConfig.from(CommandLine.parseOptions(new String[] {"--dataDir=" + dataDir}));
    assertThat(c.resume.start, equalTo(ResumeConfig.Start.NOT_APPLICABLE));
    assertThat(c.resume.startLines().isEmpty(), is(true));
  }

  @Test
  public void insideAFlinkClusterTheClusterRestoresAndTheLauncherLeavesItsSettingsAlone()
      throws Exception {
    CheckpointFiles.completed(checkpoints.resolve("aaaa/chk-3"), 3, T);
    Configuration cluster = new Configuration();
    cluster.setString("execution.savepoint.path", "s3://bucket/checkpoints/bbbb/chk-9");
    FlinkClusterContext.enter(cluster);
    try {
      CollabPipelineOptions options =
          CommandLine.parseOptions(
              new String[] {
                "--source=kafka",
                "--allowDevKey=true",
                "--dataDir=" + dataDir,
                "--generation=1795000000000"
              });
      JobConfig c = JobConfig.from(options);
      JobLauncher.forConfig(options, c, new PrintStream(OutputStream.nullOutputStream()));
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);

      assertThat(c.resume.start, equalTo(ResumeConfig.Start.CLUSTER));
      assertThat(c.resume.continuesItsGeneration(), is(true));
      assertThat(c.resume.startsWithoutState(), is(false));
      assertThat(
          lastLine(c),
          equalTo(
              "collab-pipeline: resuming from s3://bucket/checkpoints/bbbb/chk-9 (flink run -s: the"
                  + " Flink cluster restores it); generation 1795000000000 (given by"
                  + " --generation)"));
      // The cluster's state backend and checkpoints (RocksDB and S3 in production) are kept.
      assertThat(flink.getStateBackend(), nullValue());
      assertThat(flink.getSavepointPath(), nullValue());
      assertThat(
          usageError(
              "--source=kafka",
              "--allowDevKey=true",
              "--generation=1795000000000",
              "--savepointPath=s3://bucket/x/chk-1"),
          containsString(
              "is ignored by Beam inside a Flink cluster (flink run): pass it to flink run as -s"));
    } finally {
      FlinkClusterContext.leave();
    }
  }

  @Test
  public void aClusterRestoreWithoutTheStreamsGenerationIsRefused() throws Exception {
    Configuration cluster = new Configuration();
    cluster.setString("execution.savepoint.path", "s3://bucket/checkpoints/bbbb/chk-9");
    FlinkClusterContext.enter(cluster);
    try {
      // A new generation would win over the correction replays' rows of the windows it re-emits.
      assertThat(
          usageError("--source=kafka", "--allowDevKey=true"),
          equalTo(
              "flink run -s s3://bucket/checkpoints/bbbb/chk-9 restores a stream, which must"
                  + " continue its generation: add --generation=<that stream's generation>"
                  + " (submit.sh --generation N; it is the newest stream entry of"
                  + " pipeline_generations, and the -g<N>- of its raw-store file names)"));
    } finally {
      FlinkClusterContext.leave();
    }
    // Without -s the cluster restores nothing: a new generation, as for any fresh start.
    FlinkClusterContext.enter(new Configuration());
    try {
      JobConfig c = config();
      assertThat(c.resume.start, equalTo(ResumeConfig.Start.CLUSTER));
      assertThat(c.resume.continuesItsGeneration(), is(false));
      assertThat(c.resume.startsWithoutState(), is(true));
      assertThat(
          lastLine(c),
          equalTo(
              "collab-pipeline: starting fresh (flink run without -s: the Flink cluster restores"
                  + " nothing); generation "
                  + c.resume.generation
                  + " (new)"));
    } finally {
      FlinkClusterContext.leave();
    }
  }

  @Test
  public void aClusterRestoreContinuesOnlyAStreamGenerationOfTheWarehousesLog() throws Exception {
    beginInLog(500, GenerationLog.Kind.STREAM, null);
    beginInLog(600, GenerationLog.Kind.BATCH, null);
    // The stream's own generation: accepted (its entry is the stream's, whatever its status).
    JobLauncher.requireStreamGeneration(config("--generation=500").graph);
    assertThat(
        restoreRefusal(600),
        startsWith("--generation=600 is a batch generation, not a stream's: a restored stream"));
    assertThat(
        restoreRefusal(700),
        startsWith("--generation=700 is not in the warehouse's generation log"));
  }

  @Test
  public void aClusterRestoreRefusesAnOlderStreamsGenerationWhenANewerStreamHasOne()
      throws Exception {
    beginInLog(500, GenerationLog.Kind.STREAM, null);
    beginInLog(800, GenerationLog.Kind.STREAM, null);
    // A replay's generation is no stream: it does not make stream 800 an older one.
    beginInLog(900, GenerationLog.Kind.REPLAY, ReplayScope.day(LocalDate.of(2026, 11, 2)));
    JobLauncher.requireStreamGeneration(config("--generation=800").graph);
    String older = restoreRefusal(500);
    assertThat(
        older,
        startsWith(
            "--generation=500 is an older stream's: the log has stream generation 800 (begun "));
    assertThat(
        older,
        endsWith(
            "Restore a savepoint of stream 800 with --generation=800, or start fresh (no -s) and"
                + " run the correction replay of the days it cannot see whole"));
  }

  /** The one-line refusal of a cluster restore under {@code --generation=generation}. */
  private String restoreRefusal(long generation) {
    return Assert.assertThrows(
            UsageException.class,
            () -> JobLauncher.requireStreamGeneration(config("--generation=" + generation).graph))
        .getMessage();
  }

  /** Begins {@code generation} in the generation log of {@link #config()}'s warehouse. */
  private void beginInLog(long generation, GenerationLog.Kind kind, @Nullable ReplayScope range)
      throws Exception {
    try (Warehouse w = config().graph.warehouse().open()) {
      w.tables().orElseThrow().ensureTables();
      w.generationLog().orElseThrow().begin(generation, kind, range);
    }
  }

  /** Makes this JVM look like a job's main under {@code flink run}: a context environment. */
  private static final class FlinkClusterContext
      extends org.apache.flink.streaming.api.environment.StreamExecutionEnvironment {
    static void enter(Configuration conf) {
      initializeContextEnvironment(
          c -> new org.apache.flink.streaming.api.environment.StreamExecutionEnvironment(conf));
    }

    static void leave() {
      resetContextEnvironment();
    }
  }

  private String usageError(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--dataDir=" + dataDir);
    try {
      JobConfig.from(CommandLine.parseOptions(all.toArray(new String[0])));
    } catch (UsageException e) {
      return e.getMessage();
    }
    Assert.fail("no usage error for " + all);
    return "";
  }
}

package io.collabpipeline.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.transforms.validate.ValidateEvents;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The command line of contract 3: one-line errors naming the option, and whole runs that account
 * for every record.
 */
@RunWith(JUnit4.class)
public class CollabPipelineCliTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return CollabPipeline.runCli(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private void assertOneLineError(int code, String... fragments) {
    String e = err();
    assertThat(e, code, equalTo(2));
    assertThat("one line: " + e, e.trim().split("\n").length, equalTo(1));
    assertThat(e, not(containsString("\tat ")));
    assertThat(e, containsString("collab-pipeline: "));
    for (String f : fragments) {
      assertThat(e, containsString(f));
    }
  }

  @Test
  public void anUnknownOptionIsNamedOnOneLine() {
    assertOneLineError(run("--bogusOption=1"), "bogusOption");
    assertThat(
        err(),
        equalTo(
            "collab-pipeline: --bogusOption is not an option (see --help=CollabPipelineOptions)"
                + System.lineSeparator()));
  }

  @Test
  public void aMistypedOptionGetsBeamsSuggestionInTheProjectsWords() {
    assertOneLineError(run("--kafkaTopic=events"), "kafkaTopic");
    assertThat(
        err(),
        equalTo(
            "collab-pipeline: --kafkaTopic is not an option: did you mean --kafkaTopics?"
                + " (see --help=CollabPipelineOptions)"
                + System.lineSeparator()));
  }

  @Test
  public void aDataDirThatCannotBeCreatedIsAUsageError() throws Exception {
    java.io.File plainFile = tmp.newFile("not-a-directory");
    assertOneLineError(
        run("--events=10", "--dataDir=" + plainFile + "/data"),
        "--dataDir=" + plainFile + "/data cannot be created",
        "give a directory this user can write");
  }

  @Test
  public void aBareArgumentIsRejected() {
    assertOneLineError(run("files"), "'files'", "--name=value");
  }

  @Test
  public void filesWithoutInputSaysWhatToAdd() {
    assertOneLineError(run("--source=files"), "--input is required with --source=files");
  }

  @Test
  public void anInputThatMatchesNothingIsNamed() {
    assertOneLineError(
        run("--source=files", "--input=" + tmp.getRoot() + "/nothing-*.json"),
        "--input=",
        "matches no files");
  }

  @Test
  public void anUnknownSourceListsTheKnownOnes() {
    assertOneLineError(run("--source=pubsub"), "--source=pubsub", "generator, files");
  }

  @Test
  public void aValueOfTheWrongTypeNamesTheOption() {
    assertOneLineError(run("--events=abc"), "--events=abc", "whole number");
  }

  @Test
  public void aShareOutOfRangeIsNamed() {
    assertOneLineError(run("--duplicateShare=1.5"), "--duplicateShare=1.5", "between 0 and 1");
  }

  @Test
  public void aBadDurationIsNamed() {
    assertOneLineError(
        run("--allowedLateness=two hours"), "--allowedLateness=two hours", "e.g. 2h");
  }

  @Test
  public void badClockBoundsAreNamed() {
    assertOneLineError(
        run("--maxEventTimeAhead=tomorrow"), "--maxEventTimeAhead=tomorrow", "e.g. 2h");
  }

  @Test
  public void aZeroMaxEventAgeIsNamed() {
    assertOneLineError(run("--maxEventAge=0d"), "--maxEventAge=0d", "longer than 0");
  }

  @Test
  public void theClockBoundsReachTheGraphWithTheTransformsDefaults() {
    GraphConfig defaults = JobConfig.from(CollabPipeline.parseOptions(new String[0])).graph;
    assertThat(defaults.maxEventTimeAhead(), equalTo(ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD));
    assertThat(defaults.maxEventAge(), equalTo(ValidateEvents.DEFAULT_MAX_EVENT_AGE));
    GraphConfig given =
        JobConfig.from(
                CollabPipeline.parseOptions(
                    new String[] {"--maxEventTimeAhead=0s", "--maxEventAge=36h"}))
            .graph;
    assertThat(given.maxEventTimeAhead(), equalTo(Duration.ZERO));
    assertThat(given.maxEventAge(), equalTo(Duration.standardHours(36)));
  }

  @Test
  public void anUnsupportedWarehouseIsNamed() {
    assertOneLineError(run("--warehouseUrl=jdbc:mysql://x/y"), "--warehouseUrl=jdbc:mysql://x/y");
  }

  @Test
  public void kafkaWithNoTopicsIsNamed() {
    assertOneLineError(run("--source=kafka", "--kafkaTopics=,"), "--kafkaTopics");
  }

  @Test
  public void anUnreadableS3CredentialReferenceIsNamed() {
    assertOneLineError(
        run(
            "--rawStore=s3://collab-raw/raw",
            "--awsRegion=us-east-1",
            "--s3Credentials=env:COLLAB_TEST_UNSET_ACCESS,env:COLLAB_TEST_UNSET_SECRET"),
        "--s3Credentials");
  }

  @Test
  public void snowflakeWithoutItsSettingsSaysWhatToAdd() {
    assertOneLineError(
        run("--warehouseUrl=jdbc:snowflake://acme.snowflakecomputing.com"),
        "--warehouseUrl=",
        "--snowflakeAccountUrl");
  }

  @Test
  public void aReplayIntoSnowflakeNeedsItsSettingsLikeALiveRun() {
    assertOneLineError(
        run(
            "--source=raw",
            "--from=2026-11-01",
            "--to=2026-11-02",
            "--warehouseUrl=jdbc:snowflake://acme.snowflakecomputing.com"),
        "--warehouseUrl=",
        "--snowflakeAccountUrl");
  }

  @Test
  public void aKafkaJobIsStreamingAndCheckpointsByDefault() throws Exception {
    String dataDir = tmp.newFolder("kafka-defaults").getPath();
    CollabPipelineOptions options =
        CollabPipeline.parseOptions(
            new String[] {"--source=kafka", "--allowDevKey=true", "--dataDir=" + dataDir});
    JobConfig job = JobConfig.from(options);
    JobLauncher.forConfig(options, job, new PrintStream(OutputStream.nullOutputStream()));
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    assertThat(job.streaming, equalTo(true));
    assertThat(flink.getCheckpointingInterval(), equalTo(JobLauncher.KAFKA_CHECKPOINT_MILLIS));
    assertThat(flink.getStateBackend(), equalTo("filesystem"));
    assertThat(flink.getStateBackendStoragePath(), containsString(dataDir + "/checkpoints"));

    CollabPipelineOptions given =
        CollabPipeline.parseOptions(
            new String[] {"--source=kafka", "--allowDevKey=true", "--checkpointingInterval=60000"});
    JobLauncher.forConfig(
        given, JobConfig.from(given), new PrintStream(OutputStream.nullOutputStream()));
    assertThat(given.as(FlinkPipelineOptions.class).getCheckpointingInterval(), equalTo(60_000L));
  }

  /**
   * A Kafka job keeps the Flink runner's copy of state values: with {@code --fasterCopy=true} the
   * heap state backend shares accumulators that an asynchronous checkpoint is still writing, and
   * the chaos test ResumeAfterKillChaos saw panes counted twice after a restore.
   */
  @Test
  public void aStreamingJobKeepsTheStateCopyAndRefusesFasterCopy() throws Exception {
    CollabPipelineOptions options =
        CollabPipeline.parseOptions(new String[] {"--source=kafka", "--allowDevKey=true"});
    assertThat(options.as(FlinkPipelineOptions.class).getFasterCopy(), equalTo(false));
    assertOneLineError(
        run("--source=kafka", "--allowDevKey=true", "--fasterCopy=true"),
        "--fasterCopy=true is refused for a streaming job",
        "drop --fasterCopy");
  }

  /**
   * Bundles of at most 250 records and 1 s by default (the runner hands a step's watermark on at
   * once only when a bundle ends at its count: with Beam's 1,000 records a 5,000/s stream's bundles
   * all ended at their time limit, and the dedup waited for checkpoints); values given are kept.
   */
  @Test
  public void streamingBundlesEndAt250RecordsOrOneSecondUnlessGiven() throws Exception {
    FlinkPipelineOptions options =
        CollabPipeline.parseOptions(new String[] {"--source=kafka", "--allowDevKey=true"})
            .as(FlinkPipelineOptions.class);
    assertThat(options.getMaxBundleSize(), equalTo(250L));
    assertThat(options.getMaxBundleTimeMills(), equalTo(1000L));
    FlinkPipelineOptions given =
        CollabPipeline.parseOptions(
                new String[] {
                  "--source=kafka",
                  "--allowDevKey=true",
                  "--maxBundleSize=1000",
                  "--maxBundleTimeMills=100"
                })
            .as(FlinkPipelineOptions.class);
    assertThat(given.getMaxBundleSize(), equalTo(1000L));
    assertThat(given.getMaxBundleTimeMills(), equalTo(100L));
  }

  @Test
  public void theDevKeyIsRefusedWhenTheSourceIsKafka() {
    assertOneLineError(
        run("--source=kafka"), "--pseudonymKey=dev", "the source is Kafka", "--allowDevKey=true");
  }

  @Test
  public void theDevKeyIsRefusedWhenTheWarehouseIsNotTheLocalDuckDb() {
    assertOneLineError(
        run("--warehouseUrl=jdbc:postgresql://127.0.0.1:1/collab?password=hunter2"),
        "--pseudonymKey=dev",
        "the warehouse is jdbc:postgresql://127.0.0.1:1/collab");
    assertThat(err(), not(containsString("hunter2")));
  }

  @Test
  public void theDevKeyIsRefusedWhenAStoreIsOnS3() {
    assertOneLineError(
        run(
            "--rawStore=s3://collab-raw/raw",
            "--awsRegion=us-east-1",
            "--dataDir=" + tmp.getRoot()),
        "--pseudonymKey=dev",
        "the raw store is s3://collab-raw/raw");
  }

  @Test
  public void noUserKeyStoreIsRefusedWhereTheDevKeyIs() throws Exception {
    String key = tmp.newFile("pseudonym.key").getPath();
    Files.write(
        java.nio.file.Paths.get(key),
        "a-test-key-that-is-long-enough-0123456789".getBytes(StandardCharsets.UTF_8));
    assertOneLineError(
        run("--source=kafka", "--pseudonymKey=file:" + key),
        "--userKeyStore=none",
        "the source is Kafka",
        "--userKeyStore=jdbc:postgresql://",
        "--allowDevKey=true");
  }

  @Test
  public void aUserKeyStoreThatCannotBeOpenedIsAUsageError() throws Exception {
    String notADirectory = tmp.newFile("not-a-directory").getPath();
    assertOneLineError(
        run("--userKeyStore=" + notADirectory + "/keys", "--dataDir=" + tmp.getRoot()),
        "--userKeyStore=" + notADirectory);
    err.reset();
    assertOneLineError(
        run(
            "--userKeyStore=jdbc:duckdb:" + tmp.getRoot() + "/warehouse.duckdb?password=hunter2",
            "--dataDir=" + tmp.getRoot()),
        "is the warehouse");
    assertThat(err(), not(containsString("hunter2")));
  }

  @Test
  public void theUserKeyStoreReachesTheGraphAndTheSummaryShowsItsReference() throws Exception {
    String keys = tmp.newFolder("user-keys").getPath();
    CollabPipelineOptions options =
        CollabPipeline.parseOptions(
            new String[] {"--source=kafka", "--allowDevKey=true", "--userKeyStore=" + keys});
    assertThat(JobConfig.from(options).graph.userKeyStore(), equalTo(keys));
    assertThat(
        JobConfig.from(
                CollabPipeline.parseOptions(new String[] {"--source=kafka", "--allowDevKey=true"}))
            .graph
            .userKeyStore(),
        equalTo("none"));
    assertThat(
        io.collabpipeline.pipelines.launch.RunSummary.pseudonymsLine(
            "jdbc:postgresql://db/keys?user=p&password=hunter2"),
        equalTo(
            "pseudonyms: per-user secrets in --userKeyStore=jdbc:postgresql://db/keys?user=p&password=***"));
  }

  @Test
  public void aKeyPastedAsAValueIsNeverEchoed() {
    String pasted = "0123456789abcdef0123456789abcdef-not-a-reference";
    assertOneLineError(run("--pseudonymKey=" + pasted), "--pseudonymKey", "by reference");
    assertThat(err(), not(containsString(pasted)));
  }

  @Test
  public void s3CredentialsPastedAsValuesAreNeverEchoed() {
    String pasted = "AKIAEXAMPLEEXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
    assertOneLineError(
        run("--s3Credentials=" + pasted, "--awsRegion=us-east-1"),
        "--s3Credentials",
        "by reference");
    assertThat(err(), not(containsString(pasted)));
    assertThat(err(), not(containsString("wJalrXUtnFEMI")));
  }

  @Test
  public void aMissingKeyVariableIsNamed() {
    assertOneLineError(
        run("--pseudonymKey=env:COLLAB_TEST_SURELY_UNSET_VARIABLE"),
        "--pseudonymKey=",
        "COLLAB_TEST_SURELY_UNSET_VARIABLE");
  }

  @Test
  public void filesRunOnTheDirectRunnerAccountsForEveryRecord() throws Exception {
    WorkloadSpec spec =
        WorkloadSpec.defaults()
            .withDeliveries(300)
            .withSeed(11L)
            .withMalformedShare(0.05)
            .withDuplicateShare(0.05);
    File input = tmp.newFile("events.ndjson");
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = tmp.newFolder("data").getPath();
    int code =
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--userKeyStore=" + dataDir + "/user-keys",
            "--progressSeconds=0");
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err() + printed, code, equalTo(0));
    assertThat(printed, containsString("OK   received 300 = quarantined"));
    // Per-user pseudonyms end to end: the workers made the users' secrets in the store.
    assertThat(
        printed,
        containsString("pseudonyms: per-user secrets in --userKeyStore=" + dataDir + "/user-keys"));
    try (io.collabpipeline.transforms.pii.UserKeyStore keys =
        io.collabpipeline.transforms.pii.UserKeyStores.open(dataDir + "/user-keys")) {
      assertThat(keys.entries().isEmpty(), equalTo(false));
    }
    assertThat(printed, containsString(dataDir + "/raw"));
    assertThat(printed, containsString("jdbc:duckdb:" + dataDir + "/warehouse.duckdb"));
    assertThat(printed, containsString("bin/collab-sql"));
  }

  /**
   * A batch run over files with the freshness probe's canaries among the events: they are accepted
   * and written raw like every event, go to {@code pipeline_canary}, and no metric counts them (a
   * bounded batch graph splits them off in its {@code AcceptedEvents} step).
   */
  @Test
  public void aBatchRunWritesCanariesToTheirTableAndNotIntoTheMetrics() throws Exception {
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(200).withSeed(12L);
    File input = tmp.newFile("with-canaries.ndjson");
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    java.util.List<String> canaryIds = new java.util.ArrayList<>();
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
        if (i % 70 == 0) {
          Instant occurred = Instant.parse("2026-11-03T10:14:00Z").plusSeconds(i);
          String id =
              io.collabpipeline.pipelines.canary.Canaries.eventId(0, occurred.toEpochMilli());
          canaryIds.add(id);
          os.write(
              io.collabpipeline.pipelines.canary.Canaries.json(id, occurred)
                  .getBytes(StandardCharsets.UTF_8));
          os.write('\n');
        }
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse("2026-11-03T10:15:00Z")));
    String dataDir = tmp.newFolder("canary-data").getPath();
    int code =
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + input,
            "--dataDir=" + dataDir,
            "--progressSeconds=0");
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err() + printed, code, equalTo(0));
    assertThat(canaryIds.size(), equalTo(3));
    assertThat(printed, containsString("OK   received 203 = quarantined"));
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection("jdbc:duckdb:" + dataDir + "/warehouse.duckdb");
        java.sql.Statement st = c.createStatement()) {
      java.util.List<String> written = new java.util.ArrayList<>();
      try (java.sql.ResultSet rs =
          st.executeQuery("SELECT event_id FROM pipeline_canary ORDER BY event_id")) {
        while (rs.next()) {
          written.add(rs.getString(1));
        }
      }
      java.util.Collections.sort(canaryIds);
      assertThat(written, equalTo(canaryIds));
      for (String table :
          new String[] {"active_editors", "task_update_velocity", "notification_fanout"}) {
        try (java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT count(*), count(*) FILTER (WHERE workspace_gid = '"
                    + io.collabpipeline.pipelines.canary.Canaries.WORKSPACE_GID
                    + "') FROM "
                    + table)) {
          rs.next();
          assertThat(table, rs.getLong(1) > 0, equalTo(true));
          assertThat(table, rs.getLong(2), equalTo(0L));
        }
      }
    }
  }

  /**
   * Writes {@code spec}'s deliveries as NDJSON to {@code name}, modified (arrived) at {@code at}.
   */
  private File deliveries(String name, WorkloadSpec spec, String at) throws Exception {
    File input = tmp.newFile(name);
    WorkloadGenerator generator = new WorkloadGenerator(spec);
    try (OutputStream os = Files.newOutputStream(input.toPath())) {
      for (long i = 0; i < spec.deliveries(); i++) {
        os.write(generator.delivery(i).bytes());
        os.write('\n');
      }
    }
    Files.setLastModifiedTime(input.toPath(), FileTime.from(Instant.parse(at)));
    return input;
  }

  private static long count(String printed, String stage) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\\n    " + stage + " +([0-9,]+)").matcher(printed);
    if (!m.find()) {
      throw new AssertionError("no " + stage + " line in: " + printed);
    }
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  private static java.util.Set<String> rawFiles(String dataDir, String generation)
      throws Exception {
    try (java.util.stream.Stream<java.nio.file.Path> s =
        Files.walk(java.nio.file.Path.of(dataDir, "raw"))) {
      return s.filter(Files::isRegularFile)
          .map(java.nio.file.Path::toString)
          .filter(f -> f.contains("-g" + generation + "-"))
          .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  /**
   * A second run into a reused data directory (a new generation) over one arrival hour of the first
   * run and none of its other: its summary counts its own generation's rows only, so it adds up
   * although the first run's rows of a stage it did not reach there (quarantined) and of an hour it
   * did not touch are still in {@code pipeline_completeness}; it says so; and the first run's raw
   * files are all still there next to its own.
   */
  @Test
  public void aSecondRunIntoAReusedDataDirCountsItsOwnGeneration() throws Exception {
    WorkloadSpec withMalformed =
        WorkloadSpec.defaults().withDeliveries(60).withSeed(21L).withMalformedShare(0.2);
    deliveries("ten.ndjson", withMalformed, "2026-11-03T10:15:00Z");
    deliveries("eleven.ndjson", withMalformed.withSeed(22L), "2026-11-03T11:20:00Z");
    String dataDir = tmp.newFolder("reused").getPath();
    int first =
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + tmp.getRoot() + "/*.ndjson",
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=100");
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err() + printed, first, equalTo(0));
    assertThat(printed, containsString("generation 100: this run's 2 hours"));
    assertThat(count(printed, "quarantined"), org.hamcrest.Matchers.greaterThan(0L));
    java.util.Set<String> firstRawFiles = rawFiles(dataDir, "100");
    assertThat(firstRawFiles.isEmpty(), equalTo(false));

    out.reset();
    WorkloadSpec clean =
        WorkloadSpec.defaults().withDeliveries(50).withSeed(23L).withMalformedShare(0.0);
    File again = deliveries("again.ndjson.second", clean, "2026-11-03T11:40:00Z");
    int second =
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + again,
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=200");
    printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err() + printed, second, equalTo(0));
    assertThat(printed, containsString("generation 200: this run's 1 hours"));
    assertThat(count(printed, "received"), equalTo(50L));
    assertThat(count(printed, "quarantined"), equalTo(0L));
    assertThat(
        count(printed, "received"),
        equalTo(count(printed, "duplicate") + count(printed, "accepted")));
    assertThat(count(printed, "raw_written"), equalTo(count(printed, "accepted")));
    assertThat(printed, containsString("OK   received 50 = quarantined 0"));
    assertThat(printed, containsString("1 of these hours also hold rows of other generations"));
    assertThat(printed, containsString("1 hours held by other generations only"));
    assertThat(
        "the first run's raw files are untouched",
        rawFiles(dataDir, "100"),
        equalTo(firstRawFiles));
    java.util.Set<String> secondRawFiles = rawFiles(dataDir, "200");
    assertThat(secondRawFiles.isEmpty(), equalTo(false));

    // A third run under a generation already used would write the same names with other records:
    // refused before anything is written.
    err.reset();
    assertOneLineError(
        run(
            "--runner=DirectRunner",
            "--source=files",
            "--input=" + tmp.getRoot() + "/*.ndjson",
            "--dataDir=" + dataDir,
            "--progressSeconds=0",
            "--generation=200"),
        "--generation=200 was used by an earlier run (committed)");
    assertThat(rawFiles(dataDir, "200"), equalTo(secondRawFiles));
  }

  @Test
  public void theEmbeddedDefaultRunsOnFlinkWhenNoRunnerIsGiven() throws Exception {
    String dataDir = tmp.newFolder("default").getPath();
    int code = run("--events=1500", "--dataDir=" + dataDir, "--progressSeconds=1");
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(err() + printed, code, equalTo(0));
    assertThat(printed, containsString("running on FlinkRunner (batch)"));
    // Starting the embedded Flink cluster alone takes longer than a second, so a progress line is
    // always due.
    assertThat(printed, containsString(" of 1,500 ("));
    assertThat(printed, containsString("OK   received 1,500 = quarantined"));
    assertThat(printed, containsString("every accepted event written raw"));
  }
}

package io.collabpipeline.runnerconfigs;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.StateBackendLoader;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.CheckpointConfig.ExternalizedCheckpointCleanup;
import org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The Flink profiles under flink/ parse with Flink's own loader and name only Flink 1.19 options
 * with valid values.
 */
public class FlinkConfigFilesTest {
  static final Path PRODUCTION = Paths.get("flink", "production");
  static final Path LOCAL = Paths.get("flink", "local");
  static final Path STANDALONE = Paths.get("flink", "standalone");

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  static Configuration loadProduction() {
    return FlinkConfigCheck.load(PRODUCTION);
  }

  @Test
  public void theOptionIndexHoldsFlinkOptionsIncludingDeprecatedKeys() {
    assertThat(FlinkConfigCheck.flinkVersion(), startsWith("1.19"));
    assertThat(FlinkConfigCheck.knownOptions().keySet(), hasItem("state.backend.type"));
    assertThat(
        FlinkConfigCheck.knownOptions().keySet(),
        hasItem("state.backend")); // deprecated key of the same
    assertThat(
        FlinkConfigCheck.knownOptions().keySet(), hasItem("execution.checkpointing.interval"));
    assertThat(
        FlinkConfigCheck.knownOptions().keySet(),
        hasItem("state.backend.rocksdb.predefined-options"));
    assertThat(FlinkConfigCheck.knownOptions().size(), greaterThan(500));
  }

  @Test
  public void everyProfileExistsAndNamesOnlyFlinkOptionsWithParsableValues() throws IOException {
    List<Path> profiles;
    try (Stream<Path> dirs = Files.list(Paths.get("flink"))) {
      profiles =
          dirs.filter(d -> Files.isRegularFile(d.resolve("config.yaml")))
              .sorted()
              .collect(Collectors.toList());
    }
    assertThat(profiles, contains(LOCAL, PRODUCTION, STANDALONE));
    for (Path profile : profiles) {
      assertThat(
          profile + " loads keys", FlinkConfigCheck.load(profile).keySet().size(), greaterThan(10));
      assertThat(profile.toString(), FlinkConfigCheck.problems(profile), is(empty()));
    }
  }

  @Test
  public void productionKeepsStateInIncrementalRocksDbWithExactlyOnceCheckpointsOnS3()
      throws Exception {
    Configuration conf = FlinkConfigCheck.load(PRODUCTION);
    assertThat(conf.get(StateBackendOptions.STATE_BACKEND), equalTo("rocksdb"));
    assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS), is(true));
    assertThat(
        StateBackendLoader.loadStateBackendFromConfig(conf, getClass().getClassLoader(), null)
            instanceof EmbeddedRocksDBStateBackend,
        is(true));
    assertThat(
        conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_MODE),
        equalTo(CheckpointingMode.EXACTLY_ONCE));
    assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY), startsWith("s3://"));
    assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY), startsWith("s3://"));
    assertThat(
        conf.get(ExecutionCheckpointingOptions.EXTERNALIZED_CHECKPOINT),
        equalTo(ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION));
    Duration interval = conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL);
    // Recovery replays at most one interval and waits at most one max backoff: both must fit the
    // 3-minute P95.
    Duration maxBackoff =
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF);
    assertThat(interval.plus(maxBackoff), lessThanOrEqualTo(Duration.ofMinutes(3)));
    assertThat(
        conf.get(ExecutionCheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS),
        lessThanOrEqualTo(interval));
    assertThat(
        conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT), greaterThan(interval));
    assertThat(conf.get(ExecutionCheckpointingOptions.TOLERABLE_FAILURE_NUMBER), greaterThan(0));
    assertThat(conf.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS), greaterThanOrEqualTo(2));
  }

  @Test
  public void productionRestartsWithExponentialDelay() {
    Configuration conf = FlinkConfigCheck.load(PRODUCTION);
    assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY), equalTo("exponential-delay"));
    assertThat(
        conf.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER),
        greaterThan(1.0));
  }

  /** The outage every profile must ride out without an operator (issue: reliability, point 4). */
  static final Duration OUTAGE = Duration.ofSeconds(60);

  @Test
  public void everyProfilesRestartStrategyOutlastsASixtySecondOutage() {
    for (Path profile : List.of(LOCAL, PRODUCTION, STANDALONE)) {
      Configuration conf = FlinkConfigCheck.load(profile);
      assertThat(
          profile + ": restart delays tolerated before the job fails",
          RestartBounds.toleratedOutage(conf),
          greaterThan(OUTAGE));
    }
  }

  @Test
  public void localRestartStrategyToleratesAtLeast157SecondsButGivesUpOnAPersistentFault() {
    for (Path profile : List.of(LOCAL, STANDALONE)) {
      Configuration conf = FlinkConfigCheck.load(profile);
      assertThat(conf.get(RestartStrategyOptions.RESTART_STRATEGY), equalTo("exponential-delay"));
      // (1 + 2 + 4 + 8 + 16 x 10) s, each delay 10% shorter at worst: the bound config.yaml states.
      assertThat(
          profile.toString(),
          RestartBounds.toleratedOutage(conf),
          equalTo(Duration.ofMillis(157_500)));
      // A bug that fails every attempt still fails the dev job within minutes.
      assertThat(RestartBounds.toleratedOutage(conf), lessThanOrEqualTo(Duration.ofMinutes(10)));
      // Once the outage ends, the next attempt comes within 11 s.
      assertThat(RestartBounds.longestDelay(conf), equalTo(Duration.ofSeconds(11)));
    }
    // The standalone cluster is the local profile on real processes: the same strategy.
    assertThat(
        restartOptions(FlinkConfigCheck.load(STANDALONE)),
        equalTo(restartOptions(FlinkConfigCheck.load(LOCAL))));
  }

  @Test
  public void productionNeverGivesUpAndIsBackWithin66SecondsOfAnOutagesEnd() {
    Configuration conf = FlinkConfigCheck.load(PRODUCTION);
    assertThat(RestartBounds.toleratedOutage(conf), equalTo(RestartBounds.FOREVER));
    assertThat(RestartBounds.longestDelay(conf), equalTo(Duration.ofSeconds(66)));
  }

  /** The bound is computed, not assumed: the old fail-fast local strategy (3 x 2 s) fails it. */
  @Test
  public void aStrategyThatGivesUpWithinAMinuteIsCaught() throws IOException {
    Configuration failFast =
        FlinkConfigCheck.load(
            profile(
                "restart-strategy.type: fixed-delay\n"
                    + "restart-strategy.fixed-delay.attempts: 3\n"
                    + "restart-strategy.fixed-delay.delay: 2 s\n"));
    assertThat(RestartBounds.toleratedOutage(failFast), equalTo(Duration.ofSeconds(6)));
    assertThat(RestartBounds.toleratedOutage(failFast), lessThanOrEqualTo(OUTAGE));
    Configuration shortExponential =
        FlinkConfigCheck.load(
            profile(
                "restart-strategy.type: exponential-delay\n"
                    + "restart-strategy.exponential-delay.initial-backoff: 1 s\n"
                    + "restart-strategy.exponential-delay.max-backoff: 10 s\n"
                    + "restart-strategy.exponential-delay.backoff-multiplier: 2.0\n"
                    + "restart-strategy.exponential-delay.jitter-factor: 0.0\n"
                    + "restart-strategy.exponential-delay.attempts-before-reset-backoff: 5\n"));
    // 1 + 2 + 4 + 8 + 10
    assertThat(RestartBounds.toleratedOutage(shortExponential), equalTo(Duration.ofSeconds(25)));
  }

  private static java.util.Map<String, String> restartOptions(Configuration conf) {
    java.util.Map<String, String> restart = new java.util.TreeMap<>();
    conf.toMap()
        .forEach(
            (k, v) -> {
              if (k.startsWith("restart-strategy")) {
                restart.put(k, v);
              }
            });
    return restart;
  }

  @Test
  public void productionMemoryAndSlotsFitTheEmrCoreNode() {
    Configuration conf = FlinkConfigCheck.load(PRODUCTION);
    MemorySize taskManager = conf.get(TaskManagerOptions.TOTAL_PROCESS_MEMORY);
    MemorySize jobManager = conf.get(JobManagerOptions.TOTAL_PROCESS_MEMORY);
    int slots = conf.get(TaskManagerOptions.NUM_TASK_SLOTS);
    // m6gd.4xlarge: YARN offers 56 GiB and 16 vcores; two TaskManagers per node, one node also
    // hosts the JobManager.
    long yarnBytes = MemorySize.parse("56g").getBytes();
    assertThat(2 * taskManager.getBytes() + jobManager.getBytes(), lessThanOrEqualTo(yarnBytes));
    assertThat(2 * slots, lessThanOrEqualTo(16 - 2));
    int parallelism = conf.get(CoreOptions.DEFAULT_PARALLELISM);
    assertThat(EmrDefinitionsTest.coreNodes(), greaterThan(0));
    // N+1: with one core node lost, the remaining slots still run the whole job.
    assertThat((EmrDefinitionsTest.coreNodes() - 1) * 2 * slots, greaterThanOrEqualTo(parallelism));
  }

  @Test
  public void localProfileIsSmallLoopbackAndOnTheLocalFilesystem() {
    Configuration conf = FlinkConfigCheck.load(LOCAL);
    assertThat(conf.get(StateBackendOptions.STATE_BACKEND), equalTo("hashmap"));
    assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY), startsWith("file:///"));
    assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY), startsWith("file:///"));
    assertThat(conf.get(RestOptions.BIND_ADDRESS), equalTo("127.0.0.1"));
    assertThat(conf.get(JobManagerOptions.BIND_HOST), equalTo("127.0.0.1"));
    assertThat(conf.get(TaskManagerOptions.BIND_HOST), equalTo("127.0.0.1"));
    assertThat(conf.get(CoreOptions.DEFAULT_PARALLELISM), lessThanOrEqualTo(2));
  }

  @Test
  public void standaloneClusterIsLoopbackWithRocksDbAndSurvivesTheLossOfOneTaskManager()
      throws Exception {
    Configuration conf = FlinkConfigCheck.load(STANDALONE);
    assertThat(conf.get(StateBackendOptions.STATE_BACKEND), equalTo("rocksdb"));
    assertThat(
        StateBackendLoader.loadStateBackendFromConfig(conf, getClass().getClassLoader(), null)
            instanceof EmbeddedRocksDBStateBackend,
        is(true));
    assertThat(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY), startsWith("file:///"));
    assertThat(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY), startsWith("file:///"));
    assertThat(
        conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_MODE),
        equalTo(CheckpointingMode.EXACTLY_ONCE));
    assertThat(conf.get(JobManagerOptions.ADDRESS), equalTo("127.0.0.1"));
    assertThat(conf.get(JobManagerOptions.BIND_HOST), equalTo("127.0.0.1"));
    assertThat(conf.get(TaskManagerOptions.HOST), equalTo("127.0.0.1"));
    assertThat(conf.get(TaskManagerOptions.BIND_HOST), equalTo("127.0.0.1"));
    assertThat(conf.get(RestOptions.ADDRESS), equalTo("127.0.0.1"));
    assertThat(conf.get(RestOptions.BIND_ADDRESS), equalTo("127.0.0.1"));
    // bin/collab-flink-cluster's defaults: the ports it documents are the file's.
    assertThat(conf.get(RestOptions.PORT), is(8081));
    assertThat(conf.get(JobManagerOptions.PORT), is(6123));
    // bin/collab-flink-cluster starts 2 TaskManagers: after one is killed, the other's slots still
    // run the whole job.
    int taskManagers = 2;
    int slots = conf.get(TaskManagerOptions.NUM_TASK_SLOTS);
    assertThat(
        (taskManagers - 1) * slots,
        greaterThanOrEqualTo(conf.get(CoreOptions.DEFAULT_PARALLELISM)));
    // Two TaskManagers and the JobManager fit a share of the 24 GiB build machine.
    assertThat(
        taskManagers * conf.get(TaskManagerOptions.TOTAL_PROCESS_MEMORY).getBytes()
            + conf.get(JobManagerOptions.TOTAL_PROCESS_MEMORY).getBytes(),
        lessThanOrEqualTo(MemorySize.parse("6g").getBytes()));
  }

  @Test
  public void aMisspelledKeyIsReported() throws IOException {
    Path dir = profile("state.backend.type: rocksdb\nstate.backend.incremantal: true\n");
    assertThat(
        FlinkConfigCheck.problems(dir),
        contains(
            "state.backend.incremantal: no such option in Flink "
                + FlinkConfigCheck.flinkVersion()));
  }

  @Test
  public void aValueThatDoesNotParseIsReported() throws IOException {
    List<String> problems =
        FlinkConfigCheck.problems(
            profile(
                "execution.checkpointing.interval: every minute\n"
                    + "execution.checkpointing.mode: MOSTLY_ONCE\n"
                    + "taskmanager.memory.process.size: 26 gigs\n"));
    assertThat(problems, hasSize(3));
    assertThat(
        problems.get(0),
        startsWith("execution.checkpointing.interval: value 'every minute' does not parse"));
    assertThat(
        problems.get(1),
        startsWith("execution.checkpointing.mode: value 'MOSTLY_ONCE' does not parse"));
    assertThat(
        problems.get(2),
        startsWith("taskmanager.memory.process.size: value '26 gigs' does not parse"));
  }

  @Test
  public void anUnknownStateBackendOrRestartStrategyIsReported() throws IOException {
    assertThat(
        FlinkConfigCheck.problems(profile("restart-strategy.type: exponential\n")),
        contains(startsWith("restart strategy:")));
    assertThat(
        FlinkConfigCheck.problems(profile("state.backend.type: rocks\n")),
        contains(startsWith("state backend:")));
  }

  @Test
  public void everyProfileExportsToPrometheusOnAPortRangeOffFlinksDefault() {
    for (Path dir : List.of(PRODUCTION, LOCAL, STANDALONE)) {
      java.util.Map<String, String> conf = FlinkConfigCheck.load(dir).toMap();
      assertThat(
          dir + " reporter",
          conf.get("metrics.reporter.prom.factory.class"),
          is(FlinkConfigCheck.PROMETHEUS_FACTORY));
      // A range: a node runs a JobManager and TaskManagers (a dev machine several runs), each
      // binding its own port of it.
      assertThat(dir + " port", conf.get("metrics.reporter.prom.port"), containsString("-"));
    }
    // The dev profiles stay off 9249, which other tools on a shared machine take.
    assertThat(
        FlinkConfigCheck.load(LOCAL).toMap().get("metrics.reporter.prom.port"),
        not(startsWith("9249")));
  }

  @Test
  public void aMisspelledReporterClassOrOptionIsReported() throws IOException {
    List<String> problems =
        FlinkConfigCheck.problems(
            profile(
                "metrics.reporter.prom.factory.class:"
                    + " org.apache.flink.metrics.prometheus.PrometheusReporterFactroy\n"
                    + "metrics.reporter.prom.prot: 9250\n"
                    + "metrics.reporter.jmx.port: ninety\n"));
    assertThat(problems, hasSize(3));
    assertThat(problems.get(0), startsWith("metrics.reporter.jmx.port: value 'ninety'"));
    assertThat(problems.get(1), startsWith("metrics.reporter.prom.factory.class: no class"));
    assertThat(problems.get(2), startsWith("metrics.reporter.prom.prot: no such reporter option"));
  }

  private Path profile(String yaml) throws IOException {
    Path dir = tmp.newFolder().toPath();
    Files.write(dir.resolve("config.yaml"), yaml.getBytes(StandardCharsets.UTF_8));
    return dir;
  }
}

package io.collabpipeline.runnerconfigs;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.runners.flink.FlinkExecutionEnvironments;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.flink.api.common.restartstrategy.RestartStrategies;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.Test;

/**
 * The Beam options the production job is submitted with exist on our options or Beam's Flink
 * runner, pass Beam's validation, and agree with the Flink configuration, also after Beam's runner
 * has applied them to the environment.
 */
public class BeamOptionsTest {
  static final Path OPTIONS_FILE = FlinkConfigFilesTest.PRODUCTION.resolve("beam-options.txt");

  /** The options of beam-options.txt, in order: non-blank lines that are not '#' comments. */
  static List<String> productionArgs() throws IOException {
    return Files.readAllLines(OPTIONS_FILE, StandardCharsets.UTF_8).stream()
        .map(String::trim)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .collect(Collectors.toList());
  }

  private static FlinkPipelineOptions parse(List<String> args) {
    PipelineOptionsFactory.register(CollabPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0]))
        .withValidation()
        .as(CollabPipelineOptions.class)
        .as(FlinkPipelineOptions.class);
  }

  @Test
  public void everyProductionOptionExistsAndValidates() throws IOException {
    List<String> args = productionArgs();
    for (String arg : args) {
      assertThat(arg, startsWith("--"));
      assertThat(arg, containsString("="));
    }
    FlinkPipelineOptions options = parse(args);
    assertThat(options.getRunner(), equalTo(FlinkRunner.class));
    assertThat(options.isStreaming(), is(true));
    CollabPipelineOptions collab = options.as(CollabPipelineOptions.class);
    assertThat(collab.getRawStore(), startsWith("s3://"));
    assertThat(collab.getQuarantineStore(), startsWith("s3://"));
    assertThat(collab.getPseudonymKey(), not(equalTo("dev")));
  }

  @Test
  public void aMisspelledBeamOptionIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse(Collections.singletonList("--checkpointingIntervall=60000")));
    assertThat(e.getMessage(), containsString("checkpointingIntervall"));
  }

  @Test
  public void checkpointingOptionsAgreeWithTheFlinkConfiguration() throws IOException {
    FlinkPipelineOptions options = parse(productionArgs());
    Configuration conf = FlinkConfigFilesTest.loadProduction();
    assertThat(
        options.getCheckpointingInterval(),
        equalTo(conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL).toMillis()));
    assertThat(
        options.getCheckpointingMode(),
        equalTo(conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_MODE).name()));
    assertThat(
        options.getMinPauseBetweenCheckpoints(),
        equalTo(conf.get(ExecutionCheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS).toMillis()));
    assertThat(
        options.getCheckpointTimeoutMillis(),
        equalTo(conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT).toMillis()));
    assertThat(
        options.getNumConcurrentCheckpoints(),
        equalTo(conf.get(ExecutionCheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS)));
    assertThat(options.getParallelism(), equalTo(conf.get(CoreOptions.DEFAULT_PARALLELISM)));
    assertThat(options.getMaxParallelism() % options.getParallelism(), equalTo(0));
    assertThat(options.getMaxParallelism(), greaterThanOrEqualTo(10 * options.getParallelism()));
  }

  @Test
  public void noOptionOverridesTheRestartStrategyOrStateBackendOfTheFlinkConfiguration()
      throws IOException {
    for (String arg : productionArgs()) {
      String name = arg.substring(2, arg.indexOf('='));
      assertThat(arg, name, not(equalTo("numberOfExecutionRetries")));
      assertThat(arg, name, not(equalTo("executionRetryDelay")));
      assertThat(arg, name, not(equalTo("stateBackend")));
      assertThat(arg, name, not(equalTo("stateBackendFactory")));
      assertThat(arg, name, not(equalTo("failOnCheckpointingErrors")));
    }
  }

  /**
   * Why beam-options.txt must not set --numberOfExecutionRetries: Beam then replaces the strategy
   * with fixed delay.
   */
  @Test
  public void numberOfExecutionRetriesWouldReplaceTheExponentialDelayStrategy() throws IOException {
    List<String> args = new ArrayList<>(productionArgs());
    args.add("--numberOfExecutionRetries=3");
    FlinkPipelineOptions options = parse(args);
    StreamExecutionEnvironment env =
        FlinkExecutionEnvironments.createStreamExecutionEnvironment(
            options,
            Collections.emptyList(),
            FlinkConfigFilesTest.PRODUCTION.toAbsolutePath().toString());
    assertThat(
        env.getConfig().getRestartStrategy()
            instanceof RestartStrategies.FixedDelayRestartStrategyConfiguration,
        is(true));
  }

  /**
   * The dev stack's job ({@code bin/collab-pipeline --flinkConfDir=runner-configs/flink/local},
   * embedded or on the standalone cluster) gets the local profile's restart strategy: Beam's
   * defaults install none of their own over it.
   */
  @Test
  public void theLocalProfilesRestartStrategyReachesTheJobBeamBuilds() {
    FlinkPipelineOptions options =
        PipelineOptionsFactory.fromArgs("--runner=FlinkRunner", "--streaming=true")
            .as(FlinkPipelineOptions.class);
    options.setFlinkConfDir(FlinkConfigFilesTest.LOCAL.toAbsolutePath().toString());
    StreamExecutionEnvironment env =
        FlinkExecutionEnvironments.createStreamExecutionEnvironment(
            options, Collections.emptyList(), options.getFlinkConfDir());
    assertThat(
        env.getConfig().getRestartStrategy()
            instanceof RestartStrategies.FallbackRestartStrategyConfiguration,
        is(true));
    Configuration local = FlinkConfigCheck.load(FlinkConfigFilesTest.LOCAL);
    assertThat(
        env.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY),
        equalTo("exponential-delay"));
    assertThat(
        env.getConfiguration()
            .get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS),
        equalTo(local.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS)));
    assertThat(
        RestartBounds.toleratedOutage(env.getConfiguration()),
        greaterThan(FlinkConfigFilesTest.OUTAGE));
  }

  /**
   * Builds the environment as Beam's Flink runner does at submission, from config.yaml plus the
   * options.
   */
  @Test
  public void theEnvironmentBeamBuildsHasTheConfiguredCheckpointingAndRestartStrategy()
      throws IOException {
    FlinkPipelineOptions options = parse(productionArgs());
    options.setFlinkConfDir(FlinkConfigFilesTest.PRODUCTION.toAbsolutePath().toString());
    StreamExecutionEnvironment env =
        FlinkExecutionEnvironments.createStreamExecutionEnvironment(
            options, Collections.emptyList(), options.getFlinkConfDir());
    Configuration conf = FlinkConfigFilesTest.loadProduction();
    CheckpointConfig checkpoints = env.getCheckpointConfig();
    assertThat(
        checkpoints.getCheckpointInterval(),
        equalTo(conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL).toMillis()));
    assertThat(checkpoints.getCheckpointingMode(), equalTo(CheckpointingMode.EXACTLY_ONCE));
    assertThat(
        checkpoints.getMinPauseBetweenCheckpoints(),
        equalTo(conf.get(ExecutionCheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS).toMillis()));
    assertThat(
        checkpoints.getCheckpointTimeout(),
        equalTo(conf.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT).toMillis()));
    // Beam calls the deprecated setFailOnCheckpointingErrors(true); the configured tolerance must
    // survive it.
    assertThat(
        checkpoints.getTolerableCheckpointFailureNumber(),
        equalTo(conf.get(ExecutionCheckpointingOptions.TOLERABLE_FAILURE_NUMBER)));
    assertThat(checkpoints.isExternalizedCheckpointsEnabled(), is(true));
    assertThat(
        checkpoints.getExternalizedCheckpointCleanup(),
        equalTo(CheckpointConfig.ExternalizedCheckpointCleanup.RETAIN_ON_CANCELLATION));
    // The job sets no restart strategy of its own, so the cluster's (config.yaml's
    // exponential-delay) applies.
    assertThat(
        env.getConfig().getRestartStrategy()
            instanceof RestartStrategies.FallbackRestartStrategyConfiguration,
        is(true));
    assertThat(
        env.getConfiguration().get(RestartStrategyOptions.RESTART_STRATEGY),
        equalTo("exponential-delay"));
    assertThat(env.getParallelism(), equalTo(options.getParallelism()));
    assertThat(env.getMaxParallelism(), equalTo(options.getMaxParallelism()));
    assertThat(env.getConfig().isObjectReuseEnabled(), is(true));
  }
}

package io.collabpipeline.pipelines.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Hands the checkpoint a job resumes from ({@link ResumeConfig#restorePath}) to Flink, so that the
 * restore really happens wherever the job runs.
 *
 * <p>Beam's Flink runner (2.70, {@code
 * FlinkExecutionEnvironments.createStreamExecutionEnvironment}) applies {@code --savepointPath}
 * only when it builds a remote environment for a {@code host:port} master. For the embedded cluster
 * ({@code [local]}, and {@code [auto]} outside a Flink cluster: what {@code bin/collab-pipeline}
 * runs on) it creates a local environment from the Flink configuration alone and silently ignores
 * the option — which is why a restart with {@code --savepointPath} said nothing: it did not
 * restore. Flink's executor does take the restore from that configuration ({@code
 * execution.savepoint.path}, {@code execution.savepoint.ignore-unclaimed-state}). So for those
 * masters the launcher writes a copy of the Flink configuration directory (the {@code
 * --flinkConfDir} one, or {@code FLINK_CONF_DIR}'s, or none) with those two keys added, to a
 * temporary directory, and points {@code --flinkConfDir} at it. The option itself is set too, for
 * remote masters.
 *
 * <p>Inside a Flink cluster ({@code flink run}, application mode on EMR) the cluster's
 * configuration decides: resume there with {@code flink run -s <path>} (runner-configs' {@code
 * submit.sh --from-savepoint}).
 */
final class FlinkRestore {
  private FlinkRestore() {}

  /** Sets up {@code flink} to restore from {@code resume}'s checkpoint, if it resumes. */
  static void apply(FlinkPipelineOptions flink, ResumeConfig resume) {
    if (resume.start != ResumeConfig.Start.RESUME || !resume.restoreByLauncher) {
      return;
    }
    String path = resume.restorePath;
    flink.setSavepointPath(path);
    flink.setAllowNonRestoredState(resume.allowNonRestoredState);
    if (isEmbedded(flink.getFlinkMaster())) {
      try {
        flink.setFlinkConfDir(
            writeConfWithRestore(
                    FlinkConfCopy.sourceConfDir(flink.getFlinkConfDir()),
                    path,
                    resume.allowNonRestoredState)
                .toString());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot write the Flink configuration that restores from " + path, e);
      }
    }
  }

  /** The masters for which Beam builds a local environment from the configuration. */
  static boolean isEmbedded(@Nullable String master) {
    return master == null || master.equals("[local]") || master.equals("[auto]");
  }

  /**
   * The configuration of the Flink cluster this JVM runs the job in ({@code flink run}, an
   * application-mode JobManager), where Beam's {@code [auto]} master takes the cluster's context
   * environment; empty when there is none and Beam builds an embedded cluster (as it decides: a
   * {@link LocalStreamEnvironment} means no context). Inside a cluster its configuration decides
   * the state backend, the checkpoints and the restore ({@code flink run -s <path>}); Beam ignores
   * {@code --savepointPath} there.
   */
  static Optional<ReadableConfig> clusterConfiguration(@Nullable String master) {
    if (master != null && !master.equals("[auto]")) {
      return Optional.empty();
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    return env instanceof LocalStreamEnvironment
        ? Optional.empty()
        : Optional.of(env.getConfiguration());
  }

  /**
   * A new temporary directory with the files of {@code source} (none if null) and the restore
   * settings added to its configuration file; checked by loading it back with Flink's loader.
   */
  static Path writeConfWithRestore(@Nullable Path source, String path, boolean allowNonRestored)
      throws IOException {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put(SavepointConfigOptions.SAVEPOINT_PATH.key(), path);
    settings.put(
        SavepointConfigOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE.key(),
        String.valueOf(allowNonRestored));
    return FlinkConfCopy.withSettings(
        source,
        "Added by collab-pipeline's launcher: the checkpoint this run resumes from (Beam's\n"
            + "--savepointPath does not reach an embedded Flink cluster; this configuration does).",
        settings);
  }
}

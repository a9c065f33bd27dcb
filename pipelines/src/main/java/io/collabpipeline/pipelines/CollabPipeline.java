package io.collabpipeline.pipelines;

import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import java.io.PrintStream;

/**
 * The main job (contract 3). With no options it runs the embedded default end to end: the
 * generator, the embedded Flink runner, and a raw store, quarantine and DuckDB warehouse under
 * {@code ./collab-data}, then prints a summary. Everything it does goes through {@link
 * JobLauncher}: this class only hands it the command line.
 *
 * <pre>{@code
 * bin/collab-pipeline                                   # the embedded default
 * bin/collab-pipeline --source=files --input='/data/in/*.json.gz'
 * bin/collab-pipeline --source=raw --from=2026-11-02 --to=2026-11-03 --dryRun=true
 * }</pre>
 */
public final class CollabPipeline {
  private CollabPipeline() {}

  public static void main(String[] args) {
    System.exit(runCli(args, System.out, System.err));
  }

  /**
   * Runs the command line; returns the process exit code (0 done, 1 failed or unaccounted, 2 usage
   * mistake).
   */
  public static int runCli(String[] args, PrintStream out, PrintStream err) {
    return JobLauncher.runCli(args, out, err);
  }

  /** Parses Beam-style options; the runner defaults to the embedded Flink runner. */
  public static CollabPipelineOptions parseOptions(String[] args) {
    return CommandLine.parseOptions(args);
  }
}

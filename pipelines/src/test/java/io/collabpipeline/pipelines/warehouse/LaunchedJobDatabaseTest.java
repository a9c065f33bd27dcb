package io.collabpipeline.pipelines.warehouse;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.launch.Job;
import io.collabpipeline.pipelines.launch.JobLauncher;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.LocalDate;
import java.util.Optional;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The DuckDB warehouse of a job whose tasks run in the launcher's JVM (a {@code [local]} master) is
 * one database instance for the whole run: the launcher's begin, the job and the diff and commit
 * are handles on it, not a new instance each (each reads the file, each last close checkpoints it).
 * A master whose tasks may run in other processes gets no such hold.
 */
public class LaunchedJobDatabaseTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aLocalReplayOpensItsWarehouseOnce() throws Exception {
    assertEquals(1, instancesOpenedBy(EmbeddedFlink.options(false, 2), 7001));
  }

  /**
   * {@code [auto]} outside a Flink cluster also runs here, but may be a cluster's context: begin
   * and close open the database each.
   */
  @Test
  public void anAutoMasterOpensItAtBeginAndAgainAtCommit() throws Exception {
    FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
    options.setFlinkMaster("[auto]");
    assertEquals(2, instancesOpenedBy(options, 7002));
  }

  /** Only an embedded DuckDB file is held; a server's connection would only sit idle. */
  @Test
  public void onlyDuckDbAsksToBeHeld() {
    assertTrue(WarehouseTargets.jdbc("jdbc:duckdb:/tmp/w.duckdb").heldOpenForInProcessJobs());
    assertFalse(
        WarehouseTargets.jdbc("jdbc:postgresql://localhost:5432/collab")
            .heldOpenForInProcessJobs());
  }

  /**
   * A replay's time splits into the job's part ({@code jobSeconds}, which the benchmark subtracts
   * to print the diff and commit) and its generation's close: a job that sleeps 300 ms in a step
   * has at least that in its part, and the close comes after it.
   */
  @Test
  public void aReplaysTimeHasTheJobsPartThenItsClose() throws Exception {
    String url = "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("warehouse.duckdb");
    JobLauncher.Finished finished =
        JobLauncher.withOptions(
                EmbeddedFlink.options(false, 2), new PrintStream(OutputStream.nullOutputStream()))
            .run(new EmptyReplay(url, 7003, 300));
    assertTrue(
        "the job's part holds its sleep: " + finished.jobSeconds, finished.jobSeconds >= 0.3);
    assertTrue(
        "the close comes after the job: " + finished.seconds + " vs " + finished.jobSeconds,
        finished.seconds >= finished.jobSeconds);
  }

  private long instancesOpenedBy(FlinkPipelineOptions options, long generation) throws Exception {
    String url = "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("warehouse.duckdb");
    long before = DuckDbSession.instancesOpened();
    JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream()))
        .run(new EmptyReplay(url, generation, 0));
    return DuckDbSession.instancesOpened() - before;
  }

  /**
   * A replay of one day that stages nothing: begun, diffed and committed by the launcher; its one
   * step sleeps {@code sleepMillis} on one element.
   */
  private final class EmptyReplay implements Job {
    private final String url;
    private final long generation;
    private final long sleepMillis;

    EmptyReplay(String url, long generation, long sleepMillis) {
      this.url = url;
      this.generation = generation;
      this.sleepMillis = sleepMillis;
    }

    @Override
    public String startLine() {
      return "an empty replay";
    }

    @Override
    public Optional<GenerationPlan> generation() {
      return Optional.of(
          GenerationPlan.replay(
              generation,
              WarehouseTargets.jdbc(url),
              GenerationLog.Kind.REPLAY,
              ReplayScope.day(LocalDate.of(2026, 11, 2)),
              false,
              tmp.getRoot().toPath()));
    }

    @Override
    public void build(Pipeline pipeline) {
      long sleep = sleepMillis;
      pipeline
          .apply(Create.of(1, 2, 3))
          .apply(
              "SleepOnOne",
              MapElements.into(TypeDescriptors.integers())
                  .via(
                      (Integer i) -> {
                        if (i == 1 && sleep > 0) {
                          try {
                            Thread.sleep(sleep);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                        }
                        return i;
                      }));
    }
  }
}

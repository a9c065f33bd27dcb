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

  private long instancesOpenedBy(FlinkPipelineOptions options, long generation) throws Exception {
    String url = "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("warehouse.duckdb");
    long before = DuckDbSession.instancesOpened();
    JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream()))
        .run(new EmptyReplay(url, generation));
    return DuckDbSession.instancesOpened() - before;
  }

  /** A replay of one day that stages nothing: begun, diffed and committed by the launcher. */
  private final class EmptyReplay implements Job {
    private final String url;
    private final long generation;

    EmptyReplay(String url, long generation) {
      this.url = url;
      this.generation = generation;
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
      pipeline.apply(Create.of(1, 2, 3));
    }
  }
}

package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.collabpipeline.pipelines.launch.SharedEmbeddedCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.Test;

/**
 * The benchmark's batch jobs run on one shared embedded cluster: the raw store's write, the graph's
 * batch run, the replay (whose events read the benchmark checks against the raw store) and the
 * Flink SQL peer, four jobs; with {@code --clusterPerJob=true} none does. Either way the cluster is
 * gone when the run ends.
 */
public class SharedClusterRunsTest {
  @Test
  public void theBatchJobsRunOnTheSharedClusterUnlessEachIsToHaveItsOwn() throws Exception {
    Path work = Files.createTempDirectory("shared-cluster-runs");
    try {
      String shared = run("--modes=batch,replay,flinksql", "--workDir=" + work.resolve("a"));
      assertTrue(shared, shared.contains("jobs run on the shared embedded cluster: 4\n"));
      assertFalse(SharedEmbeddedCluster.current().isPresent());

      String own =
          run(
              "--modes=batch,replay,flinksql",
              "--workDir=" + work.resolve("b"),
              "--clusterPerJob=true");
      assertFalse(own, own.contains("shared embedded cluster"));
      assertFalse(SharedEmbeddedCluster.current().isPresent());
    } finally {
      WorkDirs.deleteQuietly(work);
    }
  }

  /**
   * A peer whose job fails on the shared cluster (its input directory does not exist) gives the
   * cluster back: the next job can have it.
   */
  @Test
  public void aPeerThatFailsFreesTheSharedCluster() throws Exception {
    Path missing = Files.createTempDirectory("peer-input").resolve("no-such-dir");
    try (SharedEmbeddedCluster cluster = SharedEmbeddedCluster.start(2)) {
      FlinkSqlPeer peer = FlinkSqlPeer.over(missing, 2);
      assertFalse("the peer holds it", SharedEmbeddedCluster.lease(2).isPresent());
      assertThrows(Exception.class, peer::runToBlackhole);
      Optional<SharedEmbeddedCluster.Lease> next = SharedEmbeddedCluster.lease(2);
      assertTrue("free again", next.isPresent());
      next.get().close();
    }
  }

  private static String run(String... modeArgs) throws Exception {
    String[] args = new String[modeArgs.length + 3];
    args[0] = "--events=400";
    args[1] = "--repeats=1";
    args[2] = "--warmups=0";
    System.arraycopy(modeArgs, 0, args, 3, modeArgs.length);
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, CollabBenchmark.run(args));
    } finally {
      System.setOut(out);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}

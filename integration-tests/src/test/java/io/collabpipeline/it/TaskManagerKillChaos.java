package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.it.ChaosRun.FaultOutcome;
import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.tools.devstack.LocalKafka;
import java.nio.file.Path;
import java.util.TreeSet;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The chaos suite's TaskManager kill ({@link ChaosRun}, run by {@link ChaosSuiteTest}): the
 * streaming Kafka job on a real standalone Flink 1.19 session cluster ({@link StandaloneCluster}: a
 * JobManager and two TaskManager processes, as {@code bin/collab-flink-cluster} starts them, on
 * free ports), submitted with {@code flink run}; the warehouse is PostgreSQL (both TaskManagers and
 * the client write it), the raw and quarantine stores and the checkpoints a local directory all
 * three reach. Once a third of the stream is published and the job has checkpointed twice, one
 * TaskManager that runs the job's tasks is killed with {@code kill -9}; the surviving one's two
 * slots take the whole job (parallelism 2) after the JobManager restarts it from its last
 * checkpoint. Then the suite's assertions: completeness adds up to what was published, each
 * accepted event is in the raw store once, and the curated tables equal the independent oracle.
 */
@RunWith(JUnit4.class)
public class TaskManagerKillChaos {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  @Test
  public void aTaskManagerKilledWithKill9() throws Exception {
    Path dir = TMP.newFolder("taskmanager-kill").toPath();
    ChaosRun run = ChaosRun.named("taskmanager-kill", dir.resolve("run"));
    try (StandaloneCluster cluster =
            StandaloneCluster.start(dir.resolve("cluster"), run.checkpoints());
        LocalKafka kafka = LocalKafka.start()) {
      kafka.createTopic(ChaosRun.TOPIC, ChaosRun.PARTITIONS);
      ChaosReport.record(
          run.profile("standalone")
              .kafka(kafka.bootstrapServers(), kafka.clientConfig())
              .warehouse(POSTGRES.newDatabaseUrl())
              .workload(ChaosRun.standardWorkload(606))
              .onCluster(cluster)
              .fault((job, published) -> killOneTaskManager(cluster))
              .run());
    }
  }

  /**
   * Kills a TaskManager that runs tasks of the job with SIGKILL, and returns once the JobManager
   * has noticed (the job left RUNNING), so that no checkpoint taken before the kill is counted as
   * the recovery; the fault's end is the kill itself.
   */
  private static FaultOutcome killOneTaskManager(StandaloneCluster cluster) throws Exception {
    TreeSet<String> busy = cluster.busyTaskManagers();
    assertThat("TaskManagers running the job", busy, is(not(empty())));
    String victim = busy.first();
    long restartsBefore = cluster.jobManagerLog("switched from state RUNNING to RESTARTING").size();
    cluster.kill9(victim);
    long killed = System.currentTimeMillis();
    long deadline = killed + 180_000L;
    while (cluster.jobManagerLog("switched from state RUNNING to RESTARTING").size()
        == restartsBefore) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(
            "the JobManager did not restart the job within 180 s of the kill\n" + cluster.logs());
      }
      Thread.sleep(200L);
    }
    return new FaultOutcome(
        killed,
        String.format(
            "one Flink TaskManager process killed with kill -9 (%s of 2, running %s of the job's"
                + " 2 slots; standalone session cluster, job submitted with flink run)",
            victim, busy.size() == 1 ? "both" : "one"));
  }
}

package io.collabpipeline.pipelines.launch;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.ClusterClientJobClientAdapter;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.client.program.ContextEnvironment;
import org.apache.flink.client.program.MiniClusterClient;
import org.apache.flink.client.program.StreamContextEnvironment;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One embedded Flink cluster that the batch jobs of this JVM are submitted to, one at a time, as
 * jobs are submitted to a running session cluster, instead of each starting and stopping a cluster
 * of its own.
 *
 * <p>A {@code [local]} master makes Flink start a mini-cluster for every job and stop it at the
 * job's end (Flink's {@code PerJobMiniClusterFactory}): RPC services, a dispatcher, a resource
 * manager, a TaskManager with its network stack and memory manager, then all of it shut down.
 * Measured with a Beam job of four elements on this machine's embedded Flink, warm: 0.25 to 0.31 s
 * per job so, 0.12 to 0.16 s on a cluster started once; and the code that starts and stops a
 * cluster runs a few times per job, so the JIT compiles it late, while the next jobs run. The
 * benchmark, which runs a dozen jobs in one JVM, starts one ({@code CollabBenchmark}); nothing else
 * does, and without it every job starts its own cluster as before.
 *
 * <p>While one is started, {@link JobLauncher} submits a job to it when all of these hold, and
 * otherwise starts the job's own cluster as before:
 *
 * <ul>
 *   <li>the master is {@code [local]} and the job is a batch job (a stream's checkpoints, restores
 *       and state backend come from its own Flink configuration, which Beam applies only to a
 *       cluster it starts);
 *   <li>the job has no Flink configuration of its own ({@code --flinkConfDir}, {@code
 *       FLINK_CONF_DIR}): this cluster runs with the settings {@link
 *       LocalClusterConf#forEmbeddedCluster} gives a job without one, and a given configuration may
 *       size a cluster otherwise;
 *   <li>its parallelism is at most the cluster's slots;
 *   <li>no other job runs on it ({@link #lease}): two jobs at once could each hold part of the
 *       slots the other waits for.
 * </ul>
 *
 * <p>A job on it runs the same graph with the same settings: the cluster has the configuration a
 * per-job cluster of a {@code [local]} job without a Flink configuration gets, and the job's
 * classes come from this JVM's class path in both. Only what happens around the job changes: it is
 * submitted through Flink's context environment ({@code [auto]}) to this cluster's dispatcher.
 */
public final class SharedEmbeddedCluster implements AutoCloseable {
  private static final String EXECUTOR = "collab-shared-embedded";

  private static @Nullable SharedEmbeddedCluster started;

  private final MiniCluster cluster;
  private final MiniClusterClient client;
  private final int slots;
  private final Semaphore free = new Semaphore(1);
  private final PipelineExecutorServiceLoader executors;

  private SharedEmbeddedCluster(MiniCluster cluster, Configuration conf, int slots) {
    this.cluster = cluster;
    this.client = new MiniClusterClient(conf, cluster);
    this.slots = slots;
    PipelineExecutor executor =
        (pipeline, jobConf, classLoader) ->
            client
                .submitJob(PipelineExecutorUtils.getJobGraph(pipeline, jobConf, classLoader))
                .thenApply(
                    id ->
                        (JobClient)
                            new ClusterClientJobClientAdapter<>(() -> client, id, classLoader));
    PipelineExecutorFactory factory =
        new PipelineExecutorFactory() {
          @Override
          public String getName() {
            return EXECUTOR;
          }

          @Override
          public boolean isCompatibleWith(Configuration configuration) {
            return EXECUTOR.equals(configuration.get(DeploymentOptions.TARGET));
          }

          @Override
          public PipelineExecutor getExecutor(Configuration configuration) {
            return executor;
          }
        };
    this.executors =
        new PipelineExecutorServiceLoader() {
          @Override
          public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
            return factory;
          }

          @Override
          public Stream<String> getExecutorNames() {
            return Stream.of(EXECUTOR);
          }
        };
  }

  /**
   * Starts this JVM's shared cluster: one TaskManager with {@code slots} slots and the settings of
   * {@link LocalClusterConf#forEmbeddedCluster}. At most one at a time: {@link #close} it before
   * starting another.
   */
  public static synchronized SharedEmbeddedCluster start(int slots) throws Exception {
    if (slots < 1) {
      throw new IllegalArgumentException("a shared embedded cluster needs a slot, got " + slots);
    }
    if (started != null) {
      throw new IllegalStateException(
          "this JVM's shared embedded cluster is already started: close it first");
    }
    Configuration conf = new Configuration();
    for (Map.Entry<String, String> e : LocalClusterConf.forEmbeddedCluster().entrySet()) {
      conf.setString(e.getKey(), e.getValue());
    }
    // Any free port for its REST endpoint, as Flink gives a cluster it starts for one job: the
    // default, 8081, may be another cluster's.
    conf.set(RestOptions.BIND_PORT, "0");
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build());
    cluster.start();
    started = new SharedEmbeddedCluster(cluster, conf, slots);
    return started;
  }

  /**
   * The started cluster to run a job of {@code parallelism} on, held for it alone until the lease
   * is closed; empty when none is started, its slots are too few, or another job holds it.
   */
  public static Optional<Lease> lease(int parallelism) {
    SharedEmbeddedCluster cluster;
    synchronized (SharedEmbeddedCluster.class) {
      cluster = started;
    }
    if (cluster == null || parallelism < 1 || parallelism > cluster.slots) {
      return Optional.empty();
    }
    return cluster.free.tryAcquire() ? Optional.of(cluster.new Lease()) : Optional.empty();
  }

  /**
   * The lease for a Beam job with {@code flink}'s options, if it may run on the shared cluster (the
   * class comment's conditions); {@code flinkConfDir} is the job's own Flink configuration
   * directory as given, before the launcher adds its settings.
   */
  static Optional<Lease> leaseFor(FlinkPipelineOptions flink, @Nullable String flinkConfDir) {
    if (!"[local]".equals(flink.getFlinkMaster())
        || flink.isStreaming()
        || FlinkConfCopy.sourceConfDir(flinkConfDir) != null) {
      return Optional.empty();
    }
    Integer parallelism = flink.getParallelism();
    return lease(parallelism == null ? -1 : parallelism);
  }

  /** The started cluster, if any. */
  public static synchronized Optional<SharedEmbeddedCluster> current() {
    return Optional.ofNullable(started);
  }

  /** How many jobs it has run to their end (finished, failed or cancelled). */
  public long jobsEnded() throws Exception {
    return jobsIn(JobStatus::isGloballyTerminalState);
  }

  /** How many of its jobs finished. */
  public long jobsFinished() throws Exception {
    return jobsIn(status -> status == JobStatus.FINISHED);
  }

  private long jobsIn(Predicate<JobStatus> state) throws Exception {
    Collection<JobStatusMessage> jobs = client.listJobs().get(30, TimeUnit.SECONDS);
    return jobs.stream().filter(j -> state.test(j.getJobState())).count();
  }

  /** Stops the cluster; a job submitted after it starts its own again. */
  @Override
  public void close() throws Exception {
    synchronized (SharedEmbeddedCluster.class) {
      if (started == this) {
        started = null;
      }
    }
    client.close();
    cluster.close();
  }

  /**
   * The shared cluster held for one job. While it is {@link #asContext() the context}, Flink's
   * {@code getExecutionEnvironment()} (Beam's {@code [auto]} master, a table job's environment)
   * submits to the shared cluster; closing the lease ends that and frees the cluster for the next
   * job. Close it once the job has ended.
   */
  public final class Lease implements AutoCloseable {
    private boolean context;
    private boolean closed;

    private Lease() {}

    /**
     * Makes the shared cluster the context environment of Flink's batch and stream environments in
     * this JVM until {@link #clearContext()} or {@link #close()}: an environment made meanwhile by
     * {@code getExecutionEnvironment()} submits its jobs there, attached.
     */
    public void asContext() {
      Configuration conf = new Configuration();
      conf.set(DeploymentOptions.TARGET, EXECUTOR);
      conf.set(DeploymentOptions.ATTACHED, true);
      ClassLoader loader = SharedEmbeddedCluster.class.getClassLoader();
      ContextEnvironment.setAsContext(executors, conf, loader, false, true);
      StreamContextEnvironment.setAsContext(executors, conf, loader, false, true);
      context = true;
    }

    /** Flink's environments are made as without a shared cluster again. */
    public void clearContext() {
      if (context) {
        ContextEnvironment.unsetAsContext();
        StreamContextEnvironment.unsetAsContext();
        context = false;
      }
    }

    /** Clears the context and frees the cluster for the next job; a second close does nothing. */
    @Override
    public void close() {
      clearContext();
      if (!closed) {
        closed = true;
        free.release();
      }
    }
  }
}

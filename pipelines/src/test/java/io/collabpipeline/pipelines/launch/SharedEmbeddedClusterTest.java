package io.collabpipeline.pipelines.launch;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.collabpipeline.pipelines.EmbeddedFlink;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.client.program.ContextEnvironment;
import org.apache.flink.client.program.StreamContextEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A JVM's shared embedded cluster ({@link SharedEmbeddedCluster}): the batch jobs the launcher runs
 * while it is started are submitted to it and give the same results; a streaming job, a job wider
 * than its slots, a job with a Flink configuration of its own and a job that finds it busy start
 * their own cluster, as without it. What ran where is read from the cluster's own list of jobs.
 */
public class SharedEmbeddedClusterTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private SharedEmbeddedCluster cluster;

  @After
  public void closeCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  public void batchJobsOfTheJvmRunOnItWithTheirResults() throws Exception {
    cluster = SharedEmbeddedCluster.start(2);
    assertEquals(0, cluster.jobsEnded());
    FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
    for (int run = 1; run <= 3; run++) {
      assertRunWrites(options, run * 10);
      assertEquals("jobs finished on the shared cluster", run, cluster.jobsFinished());
    }
    // The launcher leaves the caller's options and Flink's environments as they were.
    assertEquals("[local]", options.getFlinkMaster());
    assertNoContext();
  }

  @Test
  public void aStreamJobAWiderJobAndAJobWithItsOwnConfigurationStartTheirOwnCluster()
      throws Exception {
    cluster = SharedEmbeddedCluster.start(2);
    assertRunWrites(EmbeddedFlink.options(true, 2), 0);

    assertRunWrites(EmbeddedFlink.options(false, 3), 100);

    Path confDir = tmp.newFolder("conf").toPath();
    Files.writeString(
        confDir.resolve("config.yaml"), "parallelism.default: 2\n", StandardCharsets.UTF_8);
    FlinkPipelineOptions configured = EmbeddedFlink.options(false, 2);
    configured.setFlinkConfDir(confDir.toString());
    assertRunWrites(configured, 200);

    assertEquals("jobs on the shared cluster", 0, cluster.jobsEnded());
  }

  @Test
  public void aJobThatFindsItBusyStartsItsOwnAndTheNextOneHasItAgain() throws Exception {
    cluster = SharedEmbeddedCluster.start(2);
    FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
    try (SharedEmbeddedCluster.Lease held = SharedEmbeddedCluster.lease(2).orElseThrow()) {
      assertFalse("one job at a time", SharedEmbeddedCluster.lease(1).isPresent());
      assertRunWrites(options, 0);
      assertEquals(0, cluster.jobsEnded());
    }
    assertRunWrites(options, 0);
    assertEquals(1, cluster.jobsFinished());
  }

  /** A job that fails on it frees it: the failure reaches the caller, and the next job runs. */
  @Test
  public void aFailedJobFreesIt() throws Exception {
    cluster = SharedEmbeddedCluster.start(2);
    FlinkPipelineOptions options = EmbeddedFlink.options(false, 2);
    Exception e = assertThrows(Exception.class, () -> launcher(options).run(new PlusOne(null, -3)));
    assertTrue(
        String.valueOf(rootMessage(e)), String.valueOf(rootMessage(e)).contains("minus two"));
    assertEquals(1, cluster.jobsEnded());
    assertEquals(0, cluster.jobsFinished());
    assertNoContext();
    assertRunWrites(options, 0);
    assertEquals(1, cluster.jobsFinished());
  }

  @Test
  public void oneAtATimePerJvm() throws Exception {
    cluster = SharedEmbeddedCluster.start(1);
    assertThrows(IllegalStateException.class, () -> SharedEmbeddedCluster.start(1));
    assertFalse("wider than its slot", SharedEmbeddedCluster.lease(2).isPresent());
    cluster.close();
    cluster = null;
    assertFalse(SharedEmbeddedCluster.current().isPresent());
    assertFalse(SharedEmbeddedCluster.lease(1).isPresent());
    cluster = SharedEmbeddedCluster.start(1);
    assertTrue(SharedEmbeddedCluster.current().isPresent());
  }

  private static void assertNoContext() {
    assertFalse(ExecutionEnvironment.getExecutionEnvironment() instanceof ContextEnvironment);
    assertFalse(
        StreamExecutionEnvironment.getExecutionEnvironment() instanceof StreamContextEnvironment);
  }

  /**
   * Runs the job of {@code base} through the launcher with {@code options} and checks what it
   * wrote: {@code base + 2} to {@code base + 4}.
   */
  private void assertRunWrites(FlinkPipelineOptions options, int base) throws Exception {
    Path out = tmp.newFolder().toPath();
    launcher(options).run(new PlusOne(out, base));
    assertEquals(List.of(base + 2, base + 3, base + 4), written(out));
  }

  private static JobLauncher launcher(FlinkPipelineOptions options) {
    return JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream()));
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  /** The numbers the job wrote under {@code dir}, in order. */
  private static List<Integer> written(Path dir) throws IOException {
    List<Integer> numbers = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("out")).toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          numbers.add(Integer.parseInt(line));
        }
      }
    }
    return numbers.stream().sorted().collect(Collectors.toList());
  }

  /**
   * Three numbers from {@code base}, each plus two, written as text under {@code out}; a negative
   * base fails the job.
   */
  private static final class PlusOne implements Job {
    private final String out;
    private final int base;

    PlusOne(Path out, int base) {
      this.out = out == null ? null : out.resolve("out").toString();
      this.base = base;
    }

    @Override
    public String startLine() {
      return "plus one from " + base;
    }

    @Override
    public Optional<GenerationPlan> generation() {
      return Optional.empty();
    }

    @Override
    public void build(Pipeline pipeline) {
      var numbers =
          pipeline
              .apply(Create.of(base + 1, base + 2, base + 3))
              .apply(
                  MapElements.into(TypeDescriptors.integers())
                      .via(
                          (Integer x) -> {
                            if (x < 0) {
                              throw new IllegalArgumentException("minus two and below fail");
                            }
                            return x + 1;
                          }));
      if (out != null) {
        numbers
            .apply(MapElements.into(TypeDescriptors.strings()).via((Integer x) -> x.toString()))
            .apply(TextIO.write().to(out));
      }
    }
  }
}

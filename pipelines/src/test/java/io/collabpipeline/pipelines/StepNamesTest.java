package io.collabpipeline.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import io.collabpipeline.pipelines.launch.CheckpointSteps;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.LiveJob;
import io.collabpipeline.pipelines.launch.QuarantineReplayJob;
import io.collabpipeline.pipelines.launch.RawReplayJob;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The full names of every step of the live graph (per source, as a stream builds it) and of the
 * replay graphs, compared with the committed lists under {@code
 * src/test/resources/io/collabpipeline/pipelines/step-names/}. Flink maps savepoint state to
 * operators by these names: a rename, however harmless it looks, makes a running stream unable to
 * resume from its savepoint. Change a list only together with a documented savepoint migration
 * (README, Changing the live graph: the launcher refuses a checkpoint whose state the new graph
 * would drop, unless only metric, completeness or warehouse-write steps lose theirs).
 *
 * <p>To print the lists of the code as it stands (for a deliberate change), run with {@code
 * -DstepNames.write=DIR}: the test writes {@code DIR/<graph>.txt} and still compares.
 */
@RunWith(JUnit4.class)
public class StepNamesTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final ReplayScope RANGE =
      ReplayScope.of(LocalDate.parse("2026-11-02"), LocalDate.parse("2026-11-03"));

  @Test
  public void theLiveGraphOnTheGeneratorKeepsItsStepNames() throws Exception {
    check("live-generator", live("--source=generator"));
  }

  @Test
  public void theLiveGraphOnFilesKeepsItsStepNames() throws Exception {
    Path input = tmp.newFile("in.json").toPath();
    Files.write(input, "{}\n".getBytes(StandardCharsets.UTF_8));
    check("live-files", live("--source=files", "--input=" + input));
  }

  @Test
  public void theLiveGraphOnKafkaKeepsItsStepNames() throws Exception {
    check("live-kafka", live("--source=kafka", "--allowDevKey=true"));
  }

  @Test
  public void theRawReplayGraphKeepsItsStepNames() throws Exception {
    Pipeline pipeline =
        Pipeline.create(CollabPipeline.parseOptions(new String[] {"--dataDir=" + tmp.getRoot()}));
    GraphConfig graph =
        JobConfig.forRawReplay(GraphConfig.underDataDir(tmp.getRoot().toString()), RANGE);
    RawReplayJob.of(graph, RANGE, false, tmp.getRoot().toPath()).build(pipeline);
    check("raw-replay", names(pipeline));
  }

  @Test
  public void theQuarantineReplayGraphKeepsItsStepNames() throws Exception {
    Pipeline pipeline =
        Pipeline.create(CollabPipeline.parseOptions(new String[] {"--dataDir=" + tmp.getRoot()}));
    QuarantineReplayJob.build(
        pipeline, GraphConfig.underDataDir(tmp.getRoot().toString()), RANGE, true);
    check("quarantine-replay", names(pipeline));
  }

  private List<String> live(String... args) throws Exception {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--dataDir=" + tmp.getRoot());
    // The graph a stream runs, the one savepoints are taken of (a batch run over bounded input
    // deduplicates by a plain grouping instead: DedupByEventId).
    all.add("--streaming=true");
    String[] a = all.toArray(new String[0]);
    Pipeline pipeline = Pipeline.create(CollabPipeline.parseOptions(a));
    LiveJob.build(pipeline, JobConfig.from(CollabPipeline.parseOptions(a)));
    return names(pipeline);
  }

  private static List<String> names(Pipeline pipeline) {
    return CheckpointSteps.names(pipeline);
  }

  private static void check(String graph, List<String> actual) throws IOException {
    String write = System.getProperty("stepNames.write");
    if (write != null && !write.isEmpty()) {
      Files.createDirectories(Paths.get(write));
      Files.write(
          Paths.get(write, graph + ".txt"),
          (String.join("\n", actual) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    String resource = "step-names/" + graph + ".txt";
    try (InputStream in = StepNamesTest.class.getResourceAsStream(resource)) {
      assertNotNull("no committed step list " + resource + " (see the class comment)", in);
      List<String> expected = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isEmpty()) {
          expected.add(line);
        }
      }
      assertEquals(
          "the step names of the " + graph + " graph changed: Flink savepoints depend on them",
          String.join("\n", expected),
          String.join("\n", actual));
    }
  }
}

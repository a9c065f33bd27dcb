package io.collabpipeline.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.collabpipeline.coders.MetricAccumulatorCoder;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.LiveJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * How the live graph's metric partials cross into their merge: sorted, deterministic bytes in a
 * stream, whose checkpoints may hold them; in the accumulators' table order in a batch run on
 * Flink, where they only cross one sort.
 */
public class PartialCodersTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aStreamKeepsTheSortedEncoding() throws Exception {
    Coder<?> coder =
        partialValueCoder(
            "ComputeMetrics/SelectAndAccumulate/", "--source=generator", "--streaming=true");
    assertEquals(MetricAccumulatorCoder.of(), coder);
    coder.verifyDeterministic();
  }

  @Test
  public void aBatchRunOnFlinkWritesTheItemsInTableOrder() throws Exception {
    Path input = tmp.newFile("in.json").toPath();
    Files.write(input, "{}\n".getBytes(StandardCharsets.UTF_8));
    Coder<?> coder =
        partialValueCoder(
            "AcceptedEvents/SelectAccumulateAndTick", "--source=files", "--input=" + input);
    assertEquals(MetricAccumulatorCoder.inTableOrder(), coder);
    assertFalse(coder.consistentWithEquals());
  }

  /**
   * The value coder of the partials that the live graph's step {@code step} outputs (a stream's
   * {@code ComputeMetrics/SelectAndAccumulate}; a bounded batch graph's {@code
   * AcceptedEvents/SelectAccumulateAndTick}, whose other outputs are tick counts and events).
   */
  private Coder<?> partialValueCoder(String step, String... args) throws Exception {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add("--dataDir=" + tmp.getRoot());
    String[] a = all.toArray(new String[0]);
    Pipeline pipeline = Pipeline.create(CollabPipeline.parseOptions(a));
    LiveJob.build(pipeline, JobConfig.from(CollabPipeline.parseOptions(a)));
    List<Coder<?>> found = new ArrayList<>();
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            if (node.getFullName().startsWith(step)) {
              for (PValue out : node.getOutputs().values()) {
                Coder<?> coder = ((PCollection<?>) out).getCoder();
                if (coder instanceof KvCoder
                    && !(((KvCoder<?, ?>) coder).getValueCoder() instanceof VarLongCoder)) {
                  found.add(((KvCoder<?, ?>) coder).getValueCoder());
                }
              }
            }
          }
        });
    assertEquals("one partials output: " + found, 1, found.size());
    assertTrue(found.get(0) != null);
    return found.get(0);
  }
}

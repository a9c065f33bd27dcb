package io.collabpipeline.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricKey;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.Rule;
import org.junit.Test;

public class CountersTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static final MetricKey KEY = MetricKey.create("Step", MetricName.named("ns", "n"));

  @Test
  public void aCommittedValueIsPreferredToTheAttemptedOne() {
    assertThat(Counters.committedOrAttempted(MetricResult.create(KEY, 3L, 5L)), is(3L));
  }

  @Test
  public void aRunnerWithoutCommittedValuesGivesTheAttemptedOne() {
    // Flink's results are attempted-only: asking for the committed value throws.
    assertThat(Counters.committedOrAttempted(MetricResult.attempted(KEY, 5L)), is(5L));
  }

  private static final class CountFn extends DoFn<Integer, Integer> {
    private final Counter seen = Metrics.counter("counters-test", "seen");

    @ProcessElement
    public void processElement(@Element Integer i) {
      seen.inc(i);
    }
  }

  @Test
  public void sumsEveryStepOfAFinishedDirectRun() {
    pipeline.apply("One", Create.of(1, 2, 3)).apply("CountOne", ParDo.of(new CountFn()));
    pipeline.apply("Two", Create.of(10, 20)).apply("CountTwo", ParDo.of(new CountFn()));
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(Counters.committedOrAttempted(run, "counters-test", "seen"), is(36L));
    assertThat(Counters.committedOrAttempted(run, "counters-test", "missing"), is(0L));
  }
}

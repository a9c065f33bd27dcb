package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.transforms.Counters;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link GeneratorSource} on the DirectRunner: the generator's deliveries, stamped with their
 * arrival time.
 */
@RunWith(JUnit4.class)
public class GeneratorSourceTest {

  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  /** Everything a record carries, and its element timestamp, as one comparable string. */
  private static final class DescribeFn extends DoFn<RawRecord, String> {
    @ProcessElement
    public void process(
        @Element RawRecord r,
        @Timestamp org.joda.time.Instant timestamp,
        OutputReceiver<String> out) {
      out.output(describe(r.payload(), r.source(), r.receivedAtMillis(), timestamp.getMillis()));
    }
  }

  private static String describe(
      byte[] payload, SourceRef source, long receivedAt, long timestamp) {
    return source.describe()
        + " received="
        + receivedAt
        + " ts="
        + timestamp
        + " "
        + Base64.getEncoder().encodeToString(payload);
  }

  private static List<String> expected(WorkloadSpec spec) {
    WorkloadGenerator g = new WorkloadGenerator(spec);
    List<String> expected = new ArrayList<>();
    for (long i = 0; i < spec.deliveries(); i++) {
      Delivery d = g.delivery(i);
      expected.add(
          describe(
              d.bytes(),
              SourceRef.generator("generator", 0, i),
              d.arrivalMillis(),
              d.arrivalMillis()));
    }
    return expected;
  }

  @Test
  public void boundedSourceEmitsEveryDeliveryAtItsArrivalTime() {
    WorkloadSpec spec =
        WorkloadSpec.defaults().withDeliveries(300).withMalformedShare(0.05).withSeed(17);
    PCollection<String> records =
        pipeline
            .apply("ReadGenerator", GeneratorSource.of(spec))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expected(spec));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertThat(
        counter(result, GeneratorSource.METRICS_NAMESPACE, GeneratorSource.GENERATED), is(300L));
  }

  @Test
  public void withDeliveriesAndSeedChangeTheWorkload() {
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(40).withSeed(23);
    PCollection<String> records =
        pipeline
            .apply(
                "ReadGenerator",
                GeneratorSource.of(WorkloadSpec.defaults()).withDeliveries(40).withSeed(23))
            .apply("Describe", ParDo.of(new DescribeFn()));
    PAssert.that(records).containsInAnyOrder(expected(spec));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void rateLimitedSourceIsUnboundedAndEmitsTheSameRecordsOnTheArrivalClock() {
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(60).withSeed(29);
    PCollection<RawRecord> raw =
        pipeline.apply("ReadGenerator", GeneratorSource.of(spec).withUnbounded(500));
    assertThat(raw.isBounded(), is(PCollection.IsBounded.UNBOUNDED));
    PAssert.that(raw.apply("Describe", ParDo.of(new DescribeFn())))
        .containsInAnyOrder(expected(spec));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void rateLimitedSourceWatermarkNeverDropsRecordsFromArrivalWindows() {
    // 40 deliveries per synthetic second: three full one-second windows of arrival. A watermark
    // that ran ahead of the
    // arrival clock would make records late and drop them (allowed lateness 0).
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(120).withSeed(37);
    PCollection<Long> perSecond =
        pipeline
            .apply("ReadGenerator", GeneratorSource.of(spec).withUnbounded(400))
            .apply("WindowByArrival", Window.into(FixedWindows.of(Duration.standardSeconds(1))))
            .apply(
                "CountPerSecond", Combine.globally(Count.<RawRecord>combineFn()).withoutDefaults());
    PAssert.that(perSecond).containsInAnyOrder(40L, 40L, 40L);
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void invalidConfigurationNamesTheMethodToFix() {
    IllegalArgumentException rate =
        assertThrows(
            IllegalArgumentException.class,
            () -> GeneratorSource.of(WorkloadSpec.defaults()).withUnbounded(0));
    assertThat(rate.getMessage(), containsString("withUnbounded"));
    IllegalStateException noSpec =
        assertThrows(IllegalStateException.class, () -> GeneratorSource.of(null).withDeliveries(3));
    assertThat(noSpec.getMessage(), containsString("withSpec"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  static long counter(PipelineResult result, String namespace, String name) {
    return Counters.committedOrAttempted(result, namespace, name);
  }
}

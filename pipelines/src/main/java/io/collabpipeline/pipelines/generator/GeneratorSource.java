package io.collabpipeline.pipelines.generator;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.SourceRef;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The built-in synthetic workload as a source of {@link RawRecord}s: delivery {@code i} of {@link
 * WorkloadGenerator} becomes a record with source {@code generator:generator/0@i}, received at, and
 * timestamped with, its arrival time on the synthetic arrival clock.
 *
 * <p>Bounded by default: all {@link WorkloadSpec#deliveries()} records, as fast as the runner reads
 * them; the timestamps still follow the synthetic clock, so the hour and day windows of arrival are
 * the same in every run. With {@link #withUnbounded(double)} the same records are read from an
 * unbounded source at a wall-clock rate (for streaming runs; a token bucket per shard, {@link
 * WallClockRate}, at most 1 s of catch-up after a stall): each record is timestamped with its
 * arrival, the source watermark follows the synthetic arrival clock, and it reaches the end of time
 * after the last record, so the run ends.
 *
 * <p>Counter {@code generator/generated}: records emitted.
 */
@AutoValue
public abstract class GeneratorSource extends PTransform<PBegin, PCollection<RawRecord>> {

  /** Namespace of this source's metrics. */
  public static final String METRICS_NAMESPACE = "generator";

  /** Counter of records emitted. */
  public static final String GENERATED = "generated";

  /** The name in every record's {@link SourceRef}. */
  public static final String SOURCE_NAME = "generator";

  abstract @Nullable WorkloadSpec spec();

  /** Records per second of wall-clock time, or 0 for a bounded read as fast as possible. */
  abstract double ratePerSecond();

  abstract Builder toBuilder();

  /** A bounded source of the workload {@code spec}. */
  public static GeneratorSource of(WorkloadSpec spec) {
    return new AutoValue_GeneratorSource.Builder().setSpec(spec).setRatePerSecond(0).build();
  }

  public GeneratorSource withSpec(WorkloadSpec spec) {
    return toBuilder().setSpec(spec).build();
  }

  /** The same workload with {@code n} deliveries. */
  public GeneratorSource withDeliveries(long n) {
    return toBuilder().setSpec(requireSpec().withDeliveries(n)).build();
  }

  /** The same workload with another seed. */
  public GeneratorSource withSeed(long seed) {
    return toBuilder().setSpec(requireSpec().withSeed(seed)).build();
  }

  /**
   * Reads the records at {@code ratePerSecond} of wall-clock time, with a watermark on the
   * synthetic arrival clock.
   */
  public GeneratorSource withUnbounded(double ratePerSecond) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException(
          "withUnbounded(rate) needs a finite rate > 0, got " + ratePerSecond);
    }
    return toBuilder().setRatePerSecond(ratePerSecond).build();
  }

  private WorkloadSpec requireSpec() {
    WorkloadSpec spec = spec();
    if (spec == null) {
      throw new IllegalStateException("GeneratorSource needs a workload: call withSpec(spec)");
    }
    return spec;
  }

  @Override
  public PCollection<RawRecord> expand(PBegin input) {
    WorkloadSpec spec = requireSpec();
    spec.validate();
    PCollection<Long> indices;
    if (ratePerSecond() > 0) {
      indices =
          input.apply(
              "GenerateIndices",
              Read.from(
                  new ArrivalClockSource(
                      spec.deliveries(),
                      ratePerSecond(),
                      spec.start().toEpochMilli(),
                      spec.syntheticRate())));
    } else {
      indices = input.apply("GenerateIndices", GenerateSequence.from(0).to(spec.deliveries()));
    }
    return indices.apply("GenerateDeliveries", ParDo.of(new GenerateDeliveriesFn(spec)));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    WorkloadSpec spec = spec();
    if (spec != null) {
      builder
          .add(DisplayData.item("deliveries", spec.deliveries()))
          .add(DisplayData.item("seed", spec.seed()))
          .add(DisplayData.item("start", spec.start().toString()))
          .add(DisplayData.item("syntheticRate", spec.syntheticRate()));
    }
    builder.addIfNotDefault(DisplayData.item("ratePerSecond", ratePerSecond()), 0.0);
  }

  private static final class GenerateDeliveriesFn extends DoFn<Long, RawRecord> {
    private final WorkloadSpec spec;
    private final Counter generated = Metrics.counter(METRICS_NAMESPACE, GENERATED);
    private transient WorkloadGenerator generator;

    GenerateDeliveriesFn(WorkloadSpec spec) {
      this.spec = spec;
    }

    @Setup
    public void setup() {
      generator = new WorkloadGenerator(spec);
    }

    @ProcessElement
    public void processElement(@Element Long index, OutputReceiver<RawRecord> out) {
      Delivery delivery = generator.delivery(index);
      // Bounded sequences carry the minimum timestamp, so moving forward to the arrival time is
      // always allowed; the
      // unbounded source already stamps each index with its arrival time.
      out.outputWithTimestamp(
          RawRecord.of(
              delivery.bytes(),
              SourceRef.generator(SOURCE_NAME, 0, index),
              delivery.arrivalMillis()),
          new Instant(delivery.arrivalMillis()));
      generated.inc();
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSpec(WorkloadSpec spec);

    abstract Builder setRatePerSecond(double rate);

    abstract GeneratorSource build();
  }
}

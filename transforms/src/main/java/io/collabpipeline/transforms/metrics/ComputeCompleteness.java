package io.collabpipeline.transforms.metrics;

import com.google.auto.value.AutoValue;
import io.collabpipeline.coders.CuratedRowCoder;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.transforms.grouping.BatchGrouping;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code pipeline_completeness}: how many records reached each stage, per hour and per day of
 * <b>arrival</b>.
 *
 * <p>The input is the flattened output of {@link CompletenessTicks} for every stage: counts of a
 * stage's ticks ({@code KV(stage code, n)}), each within one arrival hour and timestamped in it.
 * For {@link Granularity#HOUR} and {@link Granularity#DAY}, the counts go through {@link
 * MetricWindows} ({@code CompletenessWindows<G>}) and are counted per stage ({@code
 * CountPerStage<G>}), one row per window and stage that has at least one tick (no row means zero).
 * Since every record is ticked in the hour of its arrival, for every hour {@code received =
 * quarantined + duplicate + accepted}, in every mode. Panes accumulate, so the last row of a key is
 * the full count. The output is in the global window.
 *
 * <pre>{@code
 * PCollection<CuratedRow> completeness =
 *     PCollectionList.of(receivedTicks).and(acceptedTicks)
 *         .apply("FlattenTicks", Flatten.pCollections())
 *         .apply("ComputeCompleteness", ComputeCompleteness.create().withWindowingPolicy(WindowingPolicy.defaults()));
 * }</pre>
 */
@AutoValue
public abstract class ComputeCompleteness
    extends PTransform<PCollection<KV<String, Long>>, PCollection<CuratedRow>> {

  /**
   * Rows (panes) emitted for {@code pipeline_completeness}, in {@link
   * CompletenessTicks#METRICS_NAMESPACE}.
   */
  public static final String ROWS_PIPELINE_COMPLETENESS = "rows_pipeline_completeness";

  private static final Granularity[] GRANULARITIES = {Granularity.HOUR, Granularity.DAY};

  /**
   * The finest granularity counted: {@link CompletenessTicks} counts ticks per arrival hour, which
   * lies in one window of every granularity here.
   */
  static final Granularity FINEST = Granularity.HOUR;

  abstract @Nullable WindowingPolicy windowingPolicy();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setWindowingPolicy(WindowingPolicy policy);

    abstract ComputeCompleteness build();
  }

  /** Completeness with {@link WindowingPolicy#defaults()}. */
  public static ComputeCompleteness create() {
    return new AutoValue_ComputeCompleteness.Builder()
        .setWindowingPolicy(WindowingPolicy.defaults())
        .build();
  }

  public ComputeCompleteness withWindowingPolicy(WindowingPolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException("withWindowingPolicy(policy) needs a policy");
    }
    return toBuilder().setWindowingPolicy(policy).build();
  }

  @Override
  public PCollection<CuratedRow> expand(PCollection<KV<String, Long>> ticks) {
    WindowingPolicy policy = windowingPolicy();
    if (policy == null) {
      throw new IllegalStateException(
          "ComputeCompleteness needs a windowing policy: use withWindowingPolicy(policy)");
    }
    // The hour and day counts in one pass: each count is keyed once per granularity, the key
    // naming it, and one windowing puts it in the window of its key's granularity.
    PCollection<KV<String, Long>> partials =
        ticks
            .apply("KeyByGranularity", ParDo.of(new KeyByGranularityFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("CompletenessWindows", MetricWindows.<Long>byKeyGranularity(policy))
            // A handful of keys (stage and granularity): the counts of a bundle summed first
            // (CombineInBundle), so a few partial counts cross the shuffle.
            .apply("SumInBundle", ParDo.of(new CombineInBundle<>(Sum.ofLongs())))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
    // Sum.longsPerKey(), or on Flink batch a grouping and a sum of each group (BatchGrouping).
    return partials
        .apply("CountPerStage", BatchGrouping.combinePerKey(partials, Sum.ofLongs()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
        .apply("CompletenessRows", ParDo.of(new ToCompletenessRowFn()))
        .setCoder(CuratedRowCoder.of())
        .apply("CompletenessToGlobalWindow", MetricWindows.<CuratedRow>toGlobalWindow());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    WindowingPolicy policy = windowingPolicy();
    if (policy != null) {
      builder
          .add(DisplayData.item("earlyFiringDelay", policy.earlyFiringDelay()))
          .add(DisplayData.item("beamAllowedLateness", policy.beamAllowedLateness()));
    }
  }

  /** A count of a stage's ticks, keyed {@code <granularity><stage>} once per granularity. */
  private static final class KeyByGranularityFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    @ProcessElement
    public void processElement(
        @Element KV<String, Long> count, OutputReceiver<KV<String, Long>> out) {
      for (Granularity g : GRANULARITIES) {
        out.output(KV.of(GranularityWindows.keyPrefix(g) + count.getKey(), count.getValue()));
      }
    }
  }

  private static final class ToCompletenessRowFn extends DoFn<KV<String, Long>, CuratedRow> {
    private static final Counter ROWS =
        Metrics.counter(CompletenessTicks.METRICS_NAMESPACE, ROWS_PIPELINE_COMPLETENESS);

    @ProcessElement
    public void processElement(
        @Element KV<String, Long> count, BoundedWindow window, OutputReceiver<CuratedRow> out) {
      long windowStart = ((IntervalWindow) window).start().getMillis();
      String key = count.getKey();
      out.output(
          CuratedRow.completeness(
              windowStart,
              GranularityWindows.granularityOf(key),
              key.substring(1),
              count.getValue()));
      ROWS.inc();
    }
  }
}

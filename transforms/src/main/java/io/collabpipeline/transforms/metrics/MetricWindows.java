package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.Granularity;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The one place that holds the windowing, trigger and lateness of the curated metrics and of
 * completeness.
 *
 * <p>Assigns UTC-aligned fixed windows of the granularity's size by element timestamp and fires:
 * early, once the policy's {@link WindowingPolicy#earlyFiringDelay() delay} of processing time has
 * passed after the first element of a pane; on time, when the watermark passes the end of the
 * window; and late, once per late element. Panes <b>accumulate</b>: every pane carries the full
 * value of its window so far, so the last pane written wins. Beam's allowed lateness is {@link
 * WindowingPolicy#beamAllowedLateness()}, above the data's own lateness rule.
 *
 * <p>A stream's metrics keep the same windows and panes without Beam's windowing ({@link
 * PanesInWindows}, which implements these rules for its keys' windows): a change here is a change
 * there.
 */
public final class MetricWindows<T> extends PTransform<PCollection<T>, PCollection<T>> {

  private final Granularity granularity;
  private final WindowingPolicy policy;

  private MetricWindows(Granularity granularity, WindowingPolicy policy) {
    this.granularity = granularity;
    this.policy = policy;
  }

  public static <T> MetricWindows<T> of(Granularity granularity, WindowingPolicy policy) {
    if (granularity == null) {
      throw new IllegalArgumentException(
          "MetricWindows.of(granularity, policy) needs a granularity");
    }
    if (policy == null) {
      throw new IllegalArgumentException("MetricWindows.of(granularity, policy) needs a policy");
    }
    return new MetricWindows<>(granularity, policy);
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    // FixedWindows without offset are aligned to the epoch, hence to UTC minutes, hours and days.
    return input.apply(
        "AssignFixedWindows",
        withTriggers(Window.<T>into(FixedWindows.of(granularity.size())), policy));
  }

  /**
   * The minute, hour and day windows at once, for keyed elements whose key starts with {@link
   * GranularityWindows#keyPrefix}: each in the window of its key's granularity, with the same
   * triggers and lateness as {@link #of}.
   */
  static <V> Window<KV<String, V>> byKeyGranularity(WindowingPolicy policy) {
    return withTriggers(Window.<KV<String, V>>into(new GranularityWindows<V>()), policy);
  }

  private static <T> Window<T> withTriggers(Window<T> window, WindowingPolicy policy) {
    return window
        .triggering(
            AfterWatermark.pastEndOfWindow()
                .withEarlyFirings(
                    AfterProcessingTime.pastFirstElementInPane()
                        .plusDelayOf(policy.earlyFiringDelay()))
                .withLateFirings(AfterPane.elementCountAtLeast(1)))
        .withAllowedLateness(policy.beamAllowedLateness())
        // Never emit an empty pane. Beam's default (FIRE_ALWAYS) emits an empty on-time pane;
        // on the Flink
        // streaming runner, processing-time timers flushed at shutdown fire after a window's
        // state was garbage
        // collected, and that empty "on-time" pane would upsert zeros over the real row. An
        // accumulating pane
        // that matters is never empty.
        .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
        .accumulatingFiredPanes();
  }

  /**
   * Moves windowed results (whole rows, one per pane) back to the global window so that the results
   * of different granularities can be flattened. Each row already carries its window's start; a
   * downstream grouping fires per element, so no pane is held back in streaming.
   */
  static <T> Window<T> toGlobalWindow() {
    return Window.<T>into(new GlobalWindows())
        .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
        .withAllowedLateness(Duration.ZERO)
        .discardingFiredPanes();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("granularity", granularity.code()))
        .add(DisplayData.item("earlyFiringDelay", policy.earlyFiringDelay()))
        .add(DisplayData.item("allowedLateness", policy.allowedLateness()))
        .add(DisplayData.item("beamAllowedLateness", policy.beamAllowedLateness()));
  }
}

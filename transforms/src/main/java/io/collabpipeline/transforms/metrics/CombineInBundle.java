package io.collabpipeline.transforms.metrics;

import java.util.function.Supplier;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Combines, within one bundle, the values of each key and window before the runner's shuffle: the
 * "in-mapper combining" the runners' own combiner phase does by sorting, done with a hash map.
 *
 * <p>For each (window, key) it keeps one accumulator of {@code fn}, and emits {@code
 * fn.extractOutput(accumulator)} for it in the same window, so the combine after it must take those
 * partial results as its input (a sum of partial sums; a merge of partial accumulators). It changes
 * what crosses the shuffle, never a result: every value is in exactly one emitted partial, in its
 * own window, and the combine is associative.
 *
 * <p>Emitted:
 *
 * <ul>
 *   <li>at the end of each bundle, everything held, each partial at the earliest timestamp of the
 *       values it holds. Runners do not move a step's output watermark while one of its bundles is
 *       open (the Flink runner holds it until the bundle ends), so a partial is exactly as late as
 *       its earliest value was;
 *   <li>when more than {@code maxHeld} partials are held (a batch runner's bundle can be a whole
 *       partition): the partials of the window of the value that overflowed, at that value's
 *       timestamp (the same window: its output can only go there). Memory stays bounded by {@code
 *       maxHeld} plus one window's keys.
 * </ul>
 *
 * <p>Each accumulator is extracted once, when its partial is emitted, and then dropped: {@code fn}
 * may hand the accumulator itself on as its output.
 *
 * <p>The window's triggers see fewer, larger elements: a pane that would have fired after the first
 * of several values of a bundle fires after their partial instead, at most one bundle later (the
 * Flink runner's streaming bundles are at most 250 elements or 1 s as this project runs it).
 */
final class CombineInBundle<K, InputT, AccumT, OutputT>
    extends DoFn<KV<K, InputT>, KV<K, OutputT>> {

  /** Partials held before the overflowing value's window is emitted. */
  static final int DEFAULT_MAX_HELD = 50_000;

  private final Combine.CombineFn<InputT, AccumT, OutputT> fn;
  private final int maxHeld;
  private transient HeldPartials<K, AccumT> held;

  /** {@code fn::createAccumulator} made once per bundle, not a new method reference per value. */
  private transient Supplier<AccumT> newAccumulator;

  CombineInBundle(Combine.CombineFn<InputT, AccumT, OutputT> fn) {
    this(fn, DEFAULT_MAX_HELD);
  }

  CombineInBundle(Combine.CombineFn<InputT, AccumT, OutputT> fn, int maxHeld) {
    this.fn = fn;
    this.maxHeld = HeldPartials.requireMaxHeld(maxHeld, "CombineInBundle");
  }

  @StartBundle
  public void startBundle() {
    held = new HeldPartials<>(maxHeld);
    newAccumulator = fn::createAccumulator;
  }

  @ProcessElement
  public void processElement(
      @Element KV<K, InputT> element,
      @Timestamp Instant timestamp,
      BoundedWindow window,
      OutputReceiver<KV<K, OutputT>> out) {
    HeldPartials.Partial<AccumT> partial =
        held.partial(window, element.getKey(), timestamp.getMillis(), newAccumulator);
    partial.accumulator = fn.addInput(partial.accumulator, element.getValue());
    if (held.overfull()) {
      // Only this window's partials can be emitted here; at this value's timestamp, which is in
      // the window, so each stays in its own window.
      held.emitWindow(
          window,
          (key, p, w) ->
              out.outputWithTimestamp(KV.of(key, fn.extractOutput(p.accumulator)), timestamp));
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    held.emitAll(
        (key, p, w) ->
            context.output(
                KV.of(key, fn.extractOutput(p.accumulator)), new Instant(p.earliestMillis), w));
  }
}

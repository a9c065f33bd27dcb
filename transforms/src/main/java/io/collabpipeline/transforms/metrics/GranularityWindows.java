package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.Granularity;
import java.util.Collection;
import java.util.Collections;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * UTC-aligned fixed windows whose size each element's key names: the key's first character is the
 * {@link Granularity}'s ordinal ({@link #keyPrefix}). One windowing step then serves the minute,
 * hour and day windows of a metric at once, each element in the window of its own granularity that
 * contains its timestamp: the same window as {@code FixedWindows.of(granularity.size())} assigns.
 * With the granularity in the key, two granularities never share a key, so they never share a
 * window's state either.
 */
final class GranularityWindows<V> extends NonMergingWindowFn<KV<String, V>, IntervalWindow> {

  /** {@code values()} once: it copies the array on every call, and every element's window asks. */
  private static final Granularity[] GRANULARITIES = Granularity.values();

  /** The first character of a key whose element is windowed by {@code granularity}. */
  static char keyPrefix(Granularity granularity) {
    return (char) ('0' + granularity.ordinal());
  }

  /** The granularity a key of this windowing names. */
  static Granularity granularityOf(String key) {
    int ordinal = key.isEmpty() ? -1 : key.charAt(0) - '0';
    if (ordinal < 0 || ordinal >= GRANULARITIES.length) {
      throw new IllegalArgumentException(
          "not a key of GranularityWindows (no granularity prefix): '" + key + "'");
    }
    return GRANULARITIES[ordinal];
  }

  @Override
  public Collection<IntervalWindow> assignWindows(AssignContext c) {
    Granularity g = granularityOf(c.element().getKey());
    long start = g.windowStart(c.timestamp().getMillis());
    return Collections.singletonList(
        new IntervalWindow(new Instant(start), new Instant(start + g.size().getMillis())));
  }

  @Override
  public boolean isCompatible(WindowFn<?, ?> other) {
    return other instanceof GranularityWindows;
  }

  @Override
  public Coder<IntervalWindow> windowCoder() {
    return IntervalWindow.getCoder();
  }

  @Override
  public WindowMappingFn<IntervalWindow> getDefaultWindowMappingFn() {
    throw new UnsupportedOperationException(
        "GranularityWindows windows are not for side inputs: their size depends on each element");
  }

  @Override
  public boolean assignsToOneWindow() {
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GranularityWindows;
  }

  @Override
  public int hashCode() {
    return GranularityWindows.class.hashCode();
  }
}

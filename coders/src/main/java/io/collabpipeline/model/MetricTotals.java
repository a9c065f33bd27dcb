package io.collabpipeline.model;

import com.google.auto.value.AutoValue;

/**
 * What a curated metric row reads of a window's {@link MetricAccumulator}: its two counters, how
 * many distinct items it holds and the largest count of one item. A pane of an accumulating window
 * hands these on, not the accumulator: the items themselves stay in the runner's state, so a pane
 * allocates no copy of them (finding the largest count still reads each item's count once).
 *
 * <p>Immutable.
 */
@AutoValue
public abstract class MetricTotals {
  public abstract long count();

  public abstract long completed();

  public abstract long distinctItems();

  public abstract long maxItemCount();

  /** The totals of {@code acc} as it is now; later additions to it do not change them. */
  public static MetricTotals of(MetricAccumulator acc) {
    return of(acc.count(), acc.completed(), acc.distinctItems(), acc.maxItemCount());
  }

  /**
   * Totals given field by field (a decode); {@code distinctItems} and {@code maxItemCount} must not
   * be negative.
   */
  public static MetricTotals of(long count, long completed, long distinctItems, long maxItemCount) {
    if (distinctItems < 0 || maxItemCount < 0) {
      throw new IllegalArgumentException(
          "distinctItems and maxItemCount must be >= 0, got "
              + distinctItems
              + " and "
              + maxItemCount);
    }
    return new AutoValue_MetricTotals(count, completed, distinctItems, maxItemCount);
  }
}

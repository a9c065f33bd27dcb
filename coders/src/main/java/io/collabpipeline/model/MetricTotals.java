package io.collabpipeline.model;

/**
 * What a curated metric row reads of a window's {@link MetricAccumulator}: its two counters, how
 * many distinct items it holds and the largest count of one item. A pane of an accumulating window
 * hands these on, not the accumulator: the items themselves stay in the runner's state, so a pane
 * allocates no copy of them (finding the largest count still reads each item's count once).
 *
 * <p>Immutable.
 */
public final class MetricTotals {
  private final long count;
  private final long completed;
  private final long distinctItems;
  private final long maxItemCount;

  private MetricTotals(long count, long completed, long distinctItems, long maxItemCount) {
    this.count = count;
    this.completed = completed;
    this.distinctItems = distinctItems;
    this.maxItemCount = maxItemCount;
  }

  /** The totals of {@code acc} as it is now; later additions to it do not change them. */
  public static MetricTotals of(MetricAccumulator acc) {
    return new MetricTotals(acc.count(), acc.completed(), acc.distinctItems(), acc.maxItemCount());
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
    return new MetricTotals(count, completed, distinctItems, maxItemCount);
  }

  public long count() {
    return count;
  }

  public long completed() {
    return completed;
  }

  public long distinctItems() {
    return distinctItems;
  }

  public long maxItemCount() {
    return maxItemCount;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MetricTotals)) {
      return false;
    }
    MetricTotals that = (MetricTotals) o;
    return count == that.count
        && completed == that.completed
        && distinctItems == that.distinctItems
        && maxItemCount == that.maxItemCount;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(count)
        + 31
            * (Long.hashCode(completed)
                + 31 * (Long.hashCode(distinctItems) + 31 * Long.hashCode(maxItemCount)));
  }

  @Override
  public String toString() {
    return "MetricTotals{count="
        + count
        + ", completed="
        + completed
        + ", distinctItems="
        + distinctItems
        + ", maxItemCount="
        + maxItemCount
        + "}";
  }
}

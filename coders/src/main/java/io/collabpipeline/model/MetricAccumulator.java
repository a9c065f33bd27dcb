package io.collabpipeline.model;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The exact accumulator shared by the windowed metrics: two counters and a multiset of item ids
 * (actor pseudonyms, task gids, or trigger event ids with their notification counts). Exact
 * distinct counts need the ids themselves; the state they take is bounded by the window plus its
 * allowed lateness.
 *
 * <p>Mutable, as Beam accumulators are. The items are kept in a hash map (adding an item is the
 * metrics' most frequent operation); {@code MetricAccumulatorCoder} writes them sorted, so the
 * encoding is still deterministic.
 */
public final class MetricAccumulator {
  private long count;
  private long completed;
  private final HashMap<String, Long> items;

  public MetricAccumulator() {
    this.items = new HashMap<>();
  }

  /** An empty accumulator with room for {@code expectedItems} items before its map grows. */
  public MetricAccumulator(int expectedItems) {
    if (expectedItems < 0) {
      throw new IllegalArgumentException("expectedItems must be >= 0, got " + expectedItems);
    }
    this.items = new HashMap<>((int) (expectedItems / 0.75f) + 1);
  }

  /** An accumulator holding a copy of {@code items}. */
  public MetricAccumulator(long count, long completed, Map<String, Long> items) {
    this.count = count;
    this.completed = completed;
    this.items = new HashMap<>(items);
  }

  public long count() {
    return count;
  }

  public long completed() {
    return completed;
  }

  /** Item id to the number of times it was added, unordered; read-only. */
  public Map<String, Long> items() {
    return Collections.unmodifiableMap(items);
  }

  public MetricAccumulator addCount(long n) {
    count += n;
    return this;
  }

  public MetricAccumulator addCompleted(long n) {
    completed += n;
    return this;
  }

  public MetricAccumulator addItem(String id, long n) {
    items.merge(id, n, Long::sum);
    return this;
  }

  /** Adds {@code other} into this accumulator and returns this. */
  public MetricAccumulator mergeFrom(MetricAccumulator other) {
    count += other.count;
    completed += other.completed;
    for (Map.Entry<String, Long> e : other.items.entrySet()) {
      items.merge(e.getKey(), e.getValue(), Long::sum);
    }
    return this;
  }

  public long distinctItems() {
    return items.size();
  }

  public long maxItemCount() {
    long max = 0;
    for (long v : items.values()) {
      max = Math.max(max, v);
    }
    return max;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MetricAccumulator)) {
      return false;
    }
    MetricAccumulator that = (MetricAccumulator) o;
    return count == that.count && completed == that.completed && items.equals(that.items);
  }

  @Override
  public int hashCode() {
    return Objects.hash(count, completed, items);
  }

  @Override
  public String toString() {
    return "MetricAccumulator{count="
        + count
        + ", completed="
        + completed
        + ", items="
        + items.size()
        + "}";
  }
}

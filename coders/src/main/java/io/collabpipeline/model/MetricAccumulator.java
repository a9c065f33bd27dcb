package io.collabpipeline.model;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The exact accumulator shared by the windowed metrics: two counters and a multiset of item ids
 * (actor pseudonyms, task gids, or trigger event ids with their notification counts). Exact
 * distinct counts need the ids themselves; the state they take is bounded by the window plus its
 * allowed lateness.
 *
 * <p>Mutable, as Beam accumulators are. The items are kept in an open-addressing hash table of
 * their own ({@code ItemCounts}: adding an item is the metrics' most frequent operation, and it
 * allocates nothing there); {@code MetricAccumulatorCoder} writes them sorted ({@link
 * #forEachItemSorted}), so the encoding is still deterministic.
 */
public final class MetricAccumulator {
  private long count;
  private long completed;
  private final ItemCounts items;

  public MetricAccumulator() {
    this.items = new ItemCounts();
  }

  /** An empty accumulator with room for {@code expectedItems} items before its map grows. */
  public MetricAccumulator(int expectedItems) {
    if (expectedItems < 0) {
      throw new IllegalArgumentException("expectedItems must be >= 0, got " + expectedItems);
    }
    this.items = new ItemCounts(expectedItems);
  }

  /** An accumulator holding a copy of {@code items}. */
  public MetricAccumulator(long count, long completed, Map<String, Long> items) {
    this.count = count;
    this.completed = completed;
    this.items = new ItemCounts(items.size());
    for (Map.Entry<String, Long> e : items.entrySet()) {
      this.items.add(e.getKey(), e.getValue());
    }
  }

  public long count() {
    return count;
  }

  public long completed() {
    return completed;
  }

  /** Item id to the number of times it was added, unordered: a read-only copy. */
  public Map<String, Long> items() {
    Map<String, Long> copy = new HashMap<>();
    for (String id : items.ids()) {
      copy.put(id, items.count(id));
    }
    return Collections.unmodifiableMap(copy);
  }

  /** Hands each item id with its count to {@code visitor}, in the ids' natural order. */
  public <E extends Exception> void forEachItemSorted(ItemVisitor<E> visitor) throws E {
    items.forEachSorted(visitor::visit);
  }

  /**
   * Hands each item id with its count to {@code visitor}, in no particular order: two equal
   * accumulators may hand them over in different orders.
   */
  public <E extends Exception> void forEachItem(ItemVisitor<E> visitor) throws E {
    items.forEach(visitor::visit);
  }

  /** Takes one item id and its count. */
  @FunctionalInterface
  public interface ItemVisitor<E extends Exception> {
    void visit(String id, long count) throws E;
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
    items.add(id, n);
    return this;
  }

  /** Adds {@code other} into this accumulator and returns this. */
  public MetricAccumulator mergeFrom(MetricAccumulator other) {
    count += other.count;
    completed += other.completed;
    items.addAll(other.items);
    return this;
  }

  public long distinctItems() {
    return items.size();
  }

  public long maxItemCount() {
    return items.maxCount();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MetricAccumulator)) {
      return false;
    }
    MetricAccumulator that = (MetricAccumulator) o;
    return count == that.count && completed == that.completed && items.sameAs(that.items);
  }

  @Override
  public int hashCode() {
    return (Long.hashCode(count) * 31 + Long.hashCode(completed)) * 31 + items.contentHash();
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

package io.collabpipeline.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The exact accumulator shared by the windowed metrics: two counters and a multiset of item ids
 * (actor pseudonyms, task gids, or trigger event ids with their notification counts). Exact
 * distinct counts need the ids themselves; the state they take is bounded by the window plus its
 * allowed lateness.
 *
 * <p>Mutable, as Beam accumulators are. Adding an item is the metrics' most frequent operation, so
 * the items live in an open-addressing table of their own (ids in one array, their counts in a
 * parallel {@code long} array, linear probing, at most 5/8 full): adding an id already present
 * allocates nothing, where a {@code HashMap<String, Long>} allocates a node per id and a boxed
 * count per sum above 127. {@link #addItem(String, int, long)} adds the tail of a string without
 * cutting it out first, so only a new id costs an allocation. {@code MetricAccumulatorCoder} writes
 * the items sorted ({@link #forEachItemSorted}), so the encoding is deterministic.
 */
public final class MetricAccumulator {
  private static final int MIN_CAPACITY = 8;
  private static final int MAX_CAPACITY = 1 << 30;

  private long count;
  private long completed;
  // ids[i] == null marks a free slot; counts[i] is the count of ids[i].
  private String[] ids;
  private long[] counts;
  private int size;
  // 32 - log2(ids.length): the slot of a hash is its Fibonacci product's top bits.
  private int shift;

  public MetricAccumulator() {
    allocate(MIN_CAPACITY);
  }

  /** An empty accumulator with room for {@code expectedItems} items before its table grows. */
  public MetricAccumulator(int expectedItems) {
    if (expectedItems < 0) {
      throw new IllegalArgumentException("expectedItems must be >= 0, got " + expectedItems);
    }
    allocate(capacityFor(expectedItems));
  }

  /** An accumulator holding {@code items} (read, not kept). */
  public MetricAccumulator(long count, long completed, Map<String, Long> items) {
    this(items.size());
    this.count = count;
    this.completed = completed;
    for (Map.Entry<String, Long> e : items.entrySet()) {
      addItem(e.getKey(), e.getValue());
    }
  }

  private MetricAccumulator(MetricAccumulator source) {
    this.count = source.count;
    this.completed = source.completed;
    this.ids = source.ids.clone();
    this.counts = source.counts.clone();
    this.size = source.size;
    this.shift = source.shift;
  }

  /** An independent copy: adding to either afterwards leaves the other as it was. */
  public MetricAccumulator copy() {
    return new MetricAccumulator(this);
  }

  public long count() {
    return count;
  }

  public long completed() {
    return completed;
  }

  /** Item id to the number of times it was added: a sorted, read-only copy. */
  public Map<String, Long> items() {
    TreeMap<String, Long> sorted = new TreeMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        sorted.put(ids[i], counts[i]);
      }
    }
    return Collections.unmodifiableMap(sorted);
  }

  /** What {@link #forEachItemSorted} hands each item to. */
  @FunctionalInterface
  public interface ItemVisitor<E extends Exception> {
    void visit(String id, long count) throws E;
  }

  /** Hands each item and its count to {@code visitor}, in the ids' natural order. */
  public <E extends Exception> void forEachItemSorted(ItemVisitor<E> visitor) throws E {
    String[] sorted = new String[size];
    int n = 0;
    for (String id : ids) {
      if (id != null) {
        sorted[n++] = id;
      }
    }
    Arrays.sort(sorted);
    for (String id : sorted) {
      visitor.visit(id, counts[find(id)]);
    }
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
    int hash = id.hashCode();
    int mask = ids.length - 1;
    for (int i = slot(hash); ; i = (i + 1) & mask) {
      String present = ids[i];
      if (present == null) {
        insert(i, id, n);
        return this;
      }
      if (present == id || (present.hashCode() == hash && present.equals(id))) {
        counts[i] += n;
        return this;
      }
    }
  }

  /**
   * Adds the item {@code source.substring(from)}, cutting it out of {@code source} only when it is
   * new to this accumulator.
   */
  public MetricAccumulator addItem(String source, int from, long n) {
    int end = source.length();
    if (from < 0 || from > end) {
      throw new IndexOutOfBoundsException(
          "item start " + from + " outside a string of length " + end);
    }
    if (from == 0) {
      return addItem(source, n);
    }
    int length = end - from;
    // String.hashCode's polynomial over the tail, so the id hashes alike however it was added.
    int hash = 0;
    for (int j = from; j < end; j++) {
      hash = 31 * hash + source.charAt(j);
    }
    int mask = ids.length - 1;
    for (int i = slot(hash); ; i = (i + 1) & mask) {
      String present = ids[i];
      if (present == null) {
        insert(i, source.substring(from), n);
        return this;
      }
      if (present.length() == length
          && present.hashCode() == hash
          && source.regionMatches(from, present, 0, length)) {
        counts[i] += n;
        return this;
      }
    }
  }

  /** Adds {@code other} into this accumulator and returns this. */
  public MetricAccumulator mergeFrom(MetricAccumulator other) {
    count += other.count;
    completed += other.completed;
    String[] otherIds = other.ids;
    long[] otherCounts = other.counts;
    for (int i = 0; i < otherIds.length; i++) {
      if (otherIds[i] != null) {
        addItem(otherIds[i], otherCounts[i]);
      }
    }
    return this;
  }

  public long distinctItems() {
    return size;
  }

  public long maxItemCount() {
    long max = 0;
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        max = Math.max(max, counts[i]);
      }
    }
    return max;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MetricAccumulator)) {
      return false;
    }
    MetricAccumulator that = (MetricAccumulator) o;
    if (count != that.count || completed != that.completed || size != that.size) {
      return false;
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        int at = that.find(ids[i]);
        if (at < 0 || that.counts[at] != counts[i]) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    // Independent of the table's layout, as equals is: the sum Map.hashCode would give.
    int items = 0;
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        items += ids[i].hashCode() ^ Long.hashCode(counts[i]);
      }
    }
    return Objects.hash(count, completed, items);
  }

  @Override
  public String toString() {
    return "MetricAccumulator{count="
        + count
        + ", completed="
        + completed
        + ", items="
        + size
        + "}";
  }

  /** The slot of {@code id}, or -1 when it is not here. */
  private int find(String id) {
    int hash = id.hashCode();
    int mask = ids.length - 1;
    for (int i = slot(hash); ; i = (i + 1) & mask) {
      String present = ids[i];
      if (present == null) {
        return -1;
      }
      if (present == id || (present.hashCode() == hash && present.equals(id))) {
        return i;
      }
    }
  }

  private int slot(int hash) {
    return (hash * 0x9E3779B9) >>> shift;
  }

  private void insert(int slot, String id, long n) {
    ids[slot] = id;
    counts[slot] = n;
    size++;
    if (size > maxSize(ids.length)) {
      grow();
    }
  }

  private void grow() {
    if (ids.length == MAX_CAPACITY) {
      throw new IllegalStateException("a MetricAccumulator holds at most " + maxSize(MAX_CAPACITY));
    }
    String[] oldIds = ids;
    long[] oldCounts = counts;
    allocate(ids.length << 1);
    int mask = ids.length - 1;
    for (int j = 0; j < oldIds.length; j++) {
      String id = oldIds[j];
      if (id != null) {
        int i = slot(id.hashCode());
        while (ids[i] != null) {
          i = (i + 1) & mask;
        }
        ids[i] = id;
        counts[i] = oldCounts[j];
      }
    }
  }

  private void allocate(int capacity) {
    ids = new String[capacity];
    counts = new long[capacity];
    shift = 32 - Integer.numberOfTrailingZeros(capacity);
  }

  private static int maxSize(int capacity) {
    return (capacity >>> 1) + (capacity >>> 3);
  }

  /** The smallest power of two, at least {@link #MIN_CAPACITY}, that holds {@code n} items. */
  private static int capacityFor(int n) {
    int capacity = MIN_CAPACITY;
    while (maxSize(capacity) < n) {
      if (capacity == MAX_CAPACITY) {
        throw new IllegalArgumentException(
            "a MetricAccumulator holds at most " + maxSize(MAX_CAPACITY) + " items, asked " + n);
      }
      capacity <<= 1;
    }
    return capacity;
  }
}

package io.collabpipeline.model;

import java.util.Arrays;

/**
 * A multiset of item ids: id to how many times it was added. An open-addressing hash table with
 * linear probing over parallel arrays (the ids, their counts and their spread hash codes), at most
 * half full: adding an item, the metrics' most frequent operation, allocates nothing unless the
 * table grows, and a probe compares hash codes before it touches an id. Not thread-safe; ids are
 * never null.
 */
final class ItemCounts {
  private static final int FIRST_CAPACITY = 4;

  /** null until the first item. */
  private String[] ids;

  private long[] counts;
  private int[] hashes;
  private int size;

  ItemCounts() {}

  /** Room for {@code expected} ids before the table grows. */
  ItemCounts(int expected) {
    if (expected > 0) {
      allocate(capacityFor(expected));
    }
  }

  int size() {
    return size;
  }

  /** Adds {@code n} to the count of {@code id}. */
  void add(String id, long n) {
    add(id, spread(id.hashCode()), n);
  }

  private void add(String id, int hash, long n) {
    if (ids == null) {
      allocate(FIRST_CAPACITY);
    }
    int mask = ids.length - 1;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      String at = ids[i];
      if (at == null) {
        ids[i] = id;
        counts[i] = n;
        hashes[i] = hash;
        if (++size * 2 > ids.length) {
          grow();
        }
        return;
      }
      if (hashes[i] == hash && (at == id || at.equals(id))) {
        counts[i] += n;
        return;
      }
    }
  }

  /** The count of {@code id}; 0 if it was never added. */
  long count(String id) {
    if (ids == null) {
      return 0;
    }
    int hash = spread(id.hashCode());
    int mask = ids.length - 1;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      String at = ids[i];
      if (at == null) {
        return 0;
      }
      if (hashes[i] == hash && (at == id || at.equals(id))) {
        return counts[i];
      }
    }
  }

  /** Adds every id of {@code other} with its count. */
  void addAll(ItemCounts other) {
    if (other.ids == null) {
      return;
    }
    if (ids == null || (size + other.size) * 2 > ids.length) {
      resize(capacityFor(size + other.size));
    }
    for (int i = 0; i < other.ids.length; i++) {
      if (other.ids[i] != null) {
        add(other.ids[i], other.hashes[i], other.counts[i]);
      }
    }
  }

  long maxCount() {
    long max = 0;
    if (ids != null) {
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] != null) {
          max = Math.max(max, counts[i]);
        }
      }
    }
    return max;
  }

  /** The ids, in no order. */
  String[] ids() {
    String[] out = new String[size];
    if (ids != null) {
      int n = 0;
      for (String id : ids) {
        if (id != null) {
          out[n++] = id;
        }
      }
    }
    return out;
  }

  /** Each id with its count, in the table's order (no sort, no lookup per id). */
  <E extends Exception> void forEach(Visitor<E> visitor) throws E {
    if (ids == null) {
      return;
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != null) {
        visitor.visit(ids[i], counts[i]);
      }
    }
  }

  /** The ids in their natural order, each with its count. */
  <E extends Exception> void forEachSorted(Visitor<E> visitor) throws E {
    String[] sorted = ids();
    Arrays.sort(sorted);
    for (String id : sorted) {
      visitor.visit(id, count(id));
    }
  }

  /** Takes one id and its count. */
  @FunctionalInterface
  interface Visitor<E extends Exception> {
    void visit(String id, long count) throws E;
  }

  /** The same ids with the same counts. */
  boolean sameAs(ItemCounts other) {
    if (size != other.size) {
      return false;
    }
    if (ids != null) {
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] != null && other.count(ids[i]) != counts[i]) {
          return false;
        }
      }
    }
    return true;
  }

  /** As {@link java.util.Map#hashCode} of the id-to-count map: independent of the order. */
  int contentHash() {
    int h = 0;
    if (ids != null) {
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] != null) {
          h += ids[i].hashCode() ^ Long.hashCode(counts[i]);
        }
      }
    }
    return h;
  }

  private void grow() {
    resize(ids.length * 2);
  }

  private void resize(int capacity) {
    String[] oldIds = ids;
    long[] oldCounts = counts;
    int[] oldHashes = hashes;
    allocate(capacity);
    if (oldIds == null) {
      return;
    }
    int mask = capacity - 1;
    for (int j = 0; j < oldIds.length; j++) {
      if (oldIds[j] != null) {
        int i = oldHashes[j] & mask;
        while (ids[i] != null) {
          i = (i + 1) & mask;
        }
        ids[i] = oldIds[j];
        counts[i] = oldCounts[j];
        hashes[i] = oldHashes[j];
      }
    }
  }

  private void allocate(int capacity) {
    ids = new String[capacity];
    counts = new long[capacity];
    hashes = new int[capacity];
  }

  /** The smallest power of two above twice {@code expected} (and at least 4). */
  private static int capacityFor(int expected) {
    int capacity = FIRST_CAPACITY;
    while (capacity <= 2 * (long) expected && capacity < (1 << 30)) {
      capacity <<= 1;
    }
    return capacity;
  }

  /** Spreads a String hash code's bits over the low bits the table indexes by. */
  private static int spread(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}

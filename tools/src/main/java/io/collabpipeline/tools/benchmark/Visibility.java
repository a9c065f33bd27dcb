package io.collabpipeline.tools.benchmark;

import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.Granularity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * When each value of each window and workspace's {@code task_updates} was first read: the record
 * the latencies and the completeness check are computed from.
 *
 * <p>Shared by {@code bin/collab-benchmark --modes=freshness} and the streaming end-to-end test, so
 * that both compute a latency the same way.
 */
public final class Visibility {
  /** "windowStart|workspace" → (value → first millis a read that saw it ended). */
  private final Map<String, NavigableMap<Long, Long>> seen = new ConcurrentHashMap<>();

  private volatile long lastReadMillis;

  /** One row of a read that ended at {@code readMillis}. */
  public void saw(String key, long value, long readMillis) {
    seen.computeIfAbsent(key, k -> new ConcurrentSkipListMap<>()).putIfAbsent(value, readMillis);
  }

  /**
   * One whole read of {@code task_update_velocity}'s rows that ended at {@code readMillis}: each
   * minute row's {@code task_updates} under its window and workspace, then the read's end.
   */
  public void read(List<CuratedRow> rows, long readMillis) {
    for (CuratedRow r : rows) {
      if (r.getString("granularity").equals(Granularity.MINUTE.code())) {
        saw(
            r.getLong("window_start") + "|" + r.getString("workspace_gid"),
            r.getLong("task_updates"),
            readMillis);
      }
    }
    readEnded(readMillis);
  }

  /** A whole read ended at {@code readMillis}. */
  public void readEnded(long readMillis) {
    lastReadMillis = readMillis;
  }

  /** How the last read stands against the expected count of each window and workspace. */
  public Completeness completeness(Map<String, Long> expected) {
    int shortRows = 0;
    int over = 0;
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      NavigableMap<Long, Long> values = seen.get(e.getKey());
      long highest = values == null || values.isEmpty() ? 0L : values.lastKey();
      if (highest < e.getValue()) {
        shortRows++;
      } else if (highest > e.getValue()) {
        over++;
      }
    }
    return new Completeness(shortRows, over, lastReadMillis);
  }

  /** The latency of each on-time first delivery appended at or after {@code fromMillis}, sorted. */
  public List<Long> latencies(
      List<TaskEvent> byAppend, long allowedLatenessMillis, long fromMillis) {
    List<Long> sorted = new ArrayList<>();
    for (long[] s : samples(byAppend, allowedLatenessMillis)) {
      if (s[0] >= fromMillis) {
        sorted.add(s[1]);
      }
    }
    Collections.sort(sorted);
    return sorted;
  }

  /**
   * {append millis, latency millis} of each on-time first delivery, in append order: the k-th of
   * its window and workspace, in append order, is visible once that row's task_updates reaches k;
   * events never seen so are left out.
   */
  public List<long[]> samples(List<TaskEvent> byAppend, long allowedLatenessMillis) {
    Map<String, Long> rank = new HashMap<>();
    List<long[]> samples = new ArrayList<>();
    for (TaskEvent e : byAppend) {
      if (!e.onTime(allowedLatenessMillis)) {
        continue;
      }
      long k = rank.merge(e.key(), 1L, Long::sum);
      NavigableMap<Long, Long> values = seen.get(e.key());
      if (values == null || values.ceilingKey(k) == null) {
        continue;
      }
      // A row's value may go down and up again only if a write were undone; take the earliest
      // read of any value >= k.
      long t = Collections.min(values.tailMap(k, true).values());
      samples.add(new long[] {e.appendMillis, Math.max(0L, t - e.appendMillis)});
    }
    return samples;
  }

  /** The nearest-rank percentile of an ascending list. */
  public static long percentile(List<Long> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  /** A first delivery of a task event: when it was appended, and its window and workspace. */
  public static final class TaskEvent {
    public final long appendMillis;
    public final long index;
    public final long windowStart;
    public final String workspace;

    public TaskEvent(long appendMillis, long index, long windowStart, String workspace) {
      this.appendMillis = appendMillis;
      this.index = index;
      this.windowStart = windowStart;
      this.workspace = workspace;
    }

    public String key() {
      return windowStart + "|" + workspace;
    }

    /** Whether the streaming tables count it: appended before its minute window's lateness ends. */
    public boolean onTime(long allowedLatenessMillis) {
      return appendMillis
          <= windowStart + Granularity.MINUTE.size().getMillis() + allowedLatenessMillis;
    }
  }

  /** How far the warehouse is from the expected counts at one read. */
  public static final class Completeness {
    public final int rowsShort;
    public final int rowsOver;
    public final long atMillis;

    Completeness(int rowsShort, int rowsOver, long atMillis) {
      this.rowsShort = rowsShort;
      this.rowsOver = rowsOver;
      this.atMillis = atMillis;
    }
  }
}

package io.collabpipeline.transforms.metrics;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedTable;
import io.collabpipeline.model.Granularity;
import io.collabpipeline.model.MetricAccumulator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The metric contributions of the events a step has taken in, held as one partial accumulator per
 * key and window until they are emitted: {@link ComputeMetrics}' and {@link ShardedMetrics}' way
 * from events to the partials that {@code ComputeMetrics.rowsOf} merges into rows.
 *
 * <p>An event contributes ({@link ComputeMetrics.Contributor}: the too-late rule and the keys) to
 * the partials of its <b>finest</b> granularity only, the finest it is in time for. In time for a
 * window, it is in time for the longer ones that hold it (UTC-aligned minutes, hours and days
 * nest), so at {@link #emitAll} the minutes' partials are added into their hours' and the hours'
 * into their days' ({@link #rollUp}): the same sums and item counts, with one item add per event
 * and table where there were three, and the longer windows filled from the shorter in the order of
 * their keys and windows, while their item tables are in the cache.
 *
 * <p>Each partial is emitted at the earliest event time it holds, which is in its window: {@code
 * MetricWindows} puts it there. Not thread-safe; one per bundle of one DoFn instance.
 */
final class HeldContributions {

  /** Takes one emitted partial, keyed by {@link ComputeMetrics.MetricKeys}, and its timestamp. */
  @FunctionalInterface
  interface Emitter {
    void emit(KV<String, MetricAccumulator> partial, Instant timestamp);
  }

  private final ComputeMetrics.Contributor contributor;
  private final int maxHeld;
  private final Map<PartialKey, Partial> held = new HashMap<>();
  private final PartialKey probe = new PartialKey();
  private final ComputeMetrics.Contributor.Sink sink = this::addContribution;

  /** The finest granularity the event at hand contributes to; null before its first. */
  private @Nullable Granularity finest;

  private long occurredMillis;

  HeldContributions(ComputeMetrics.Contributor contributor, int maxHeld) {
    this.contributor = contributor;
    this.maxHeld = maxHeld;
  }

  /** Whether more than {@code maxHeld} partials are held: time to {@link #emitAll}. */
  boolean overfull() {
    return held.size() > maxHeld;
  }

  /** Adds {@code event}'s contributions to the partials of its finest granularity. */
  void add(CollabEvent event) {
    occurredMillis = event.occurredAtMillis();
    finest = null;
    contributor.contribute(event, sink);
  }

  private void addContribution(
      Granularity g, CuratedTable table, String key, @Nullable String item, boolean completes) {
    // The contributor gives the granularities finest first; the coarser ones get the event from
    // there (rollUp).
    if (finest == null) {
      finest = g;
    }
    if (g != finest) {
      return;
    }
    long start = g.windowStart(occurredMillis);
    Partial partial = held.get(probe.set(g, table, key, start));
    if (partial == null) {
      partial = new Partial(occurredMillis);
      held.put(probe.copy(), partial);
    } else if (occurredMillis < partial.earliestMillis) {
      partial.earliestMillis = occurredMillis;
    }
    ComputeMetrics.Contributions.add(partial.accumulator, item, completes);
  }

  /**
   * Rolls the minutes up into their hours and the hours into their days, then emits every partial
   * held, at the earliest event time it holds, and holds none.
   */
  void emitAll(Emitter emitter) {
    rollUp(Granularity.MINUTE, Granularity.HOUR);
    rollUp(Granularity.HOUR, Granularity.DAY);
    for (Map.Entry<PartialKey, Partial> e : held.entrySet()) {
      PartialKey k = e.getKey();
      emitter.emit(
          KV.of(
              ComputeMetrics.MetricKeys.of(k.granularity, k.table, k.key),
              e.getValue().accumulator),
          new Instant(e.getValue().earliestMillis));
    }
    held.clear();
  }

  /**
   * Adds each partial of {@code from} into the partial of {@code to} that holds its window, made if
   * missing, in the order of table, key and window.
   */
  private void rollUp(Granularity from, Granularity to) {
    List<Map.Entry<PartialKey, Partial>> shorter = new ArrayList<>();
    for (Map.Entry<PartialKey, Partial> e : held.entrySet()) {
      if (e.getKey().granularity == from) {
        shorter.add(e);
      }
    }
    shorter.sort(
        (a, b) -> {
          PartialKey x = a.getKey();
          PartialKey y = b.getKey();
          int c = Integer.compare(x.table.ordinal(), y.table.ordinal());
          if (c == 0) {
            c = x.key.compareTo(y.key);
          }
          return c != 0 ? c : Long.compare(x.windowStart, y.windowStart);
        });
    Partial into = null;
    for (Map.Entry<PartialKey, Partial> e : shorter) {
      PartialKey k = e.getKey();
      long start = to.windowStart(k.windowStart);
      if (into == null
          || probe.windowStart != start
          || probe.table != k.table
          || !probe.key.equals(k.key)) {
        into = held.get(probe.set(to, k.table, k.key, start));
        if (into == null) {
          into = new Partial(e.getValue().earliestMillis);
          held.put(probe.copy(), into);
        }
      }
      into.accumulator.mergeFrom(e.getValue().accumulator);
      into.earliestMillis = Math.min(into.earliestMillis, e.getValue().earliestMillis);
    }
  }

  /**
   * Which partial: granularity, table, the table's key and the window's start. Lookups go through
   * one probe whose fields are set for each contribution; a held partial has a copy of its own.
   */
  private static final class PartialKey {
    Granularity granularity;
    CuratedTable table;
    String key;
    long windowStart;
    int hash;

    PartialKey set(Granularity granularity, CuratedTable table, String key, long windowStart) {
      this.granularity = granularity;
      this.table = table;
      this.key = key;
      this.windowStart = windowStart;
      this.hash =
          ((key.hashCode() * 31 + Long.hashCode(windowStart)) * 31 + table.ordinal()) * 31
              + granularity.ordinal();
      return this;
    }

    PartialKey copy() {
      PartialKey c = new PartialKey();
      c.granularity = granularity;
      c.table = table;
      c.key = key;
      c.windowStart = windowStart;
      c.hash = hash;
      return c;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof PartialKey)) {
        return false;
      }
      PartialKey that = (PartialKey) o;
      return hash == that.hash
          && windowStart == that.windowStart
          && table == that.table
          && granularity == that.granularity
          && (key == that.key || key.equals(that.key));
    }
  }

  /** One key's partial in one window: its accumulator and the earliest event time it holds. */
  private static final class Partial {
    final MetricAccumulator accumulator = new MetricAccumulator();
    long earliestMillis;

    Partial(long earliestMillis) {
      this.earliestMillis = earliestMillis;
    }
  }
}

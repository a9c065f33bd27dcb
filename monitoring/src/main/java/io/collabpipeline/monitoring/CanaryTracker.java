package io.collabpipeline.monitoring;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The freshness probe's account of its canaries (one topic), without I/O, so the counting rules are
 * tested on their own:
 *
 * <ul>
 *   <li>{@link #total()}: canaries published (the broker acknowledged them).
 *   <li>{@link #slow()}: canaries not queryable within {@code slowAfter} of publication: counted
 *       once, either when one becomes queryable later than that, or when {@code slowAfter} has
 *       passed without it (whichever comes first; a canary counted as missing that shows up later
 *       is not counted again).
 *   <li>{@link #quantile}: of the canaries published in the last {@code window} that became
 *       queryable, the latency (queryable minus published) at a quantile, by nearest rank: the
 *       {@code ceil(q * n)}-th smallest of the {@code n} latencies. Canaries still missing are not
 *       in it (they are in {@link #slow()} and {@link #pending()}).
 * </ul>
 *
 * Canaries still missing are forgotten {@code forgetAfter} after publication (their slow count
 * stays), so memory is bounded. Not thread-safe: the probe calls it from one thread.
 */
final class CanaryTracker {
  /** A canary the probe published. */
  private static final class Canary {
    final long publishedAtMillis;
    long queryableAtMillis = -1;
    boolean countedSlow;

    Canary(long publishedAtMillis) {
      this.publishedAtMillis = publishedAtMillis;
    }
  }

  private final long slowAfterMillis;
  private final long windowMillis;
  private final long forgetAfterMillis;

  /** Not yet queryable, by event id, in publication order. */
  private final Map<String, Canary> pending = new LinkedHashMap<>();

  /** Queryable, published within the window (and a little older until pruned), in seen order. */
  private final List<Canary> seen = new ArrayList<>();

  private long total;
  private long slow;

  CanaryTracker(long slowAfterMillis, long windowMillis, long forgetAfterMillis) {
    if (slowAfterMillis <= 0 || windowMillis <= 0 || forgetAfterMillis < slowAfterMillis) {
      throw new IllegalArgumentException(
          "need slowAfter > 0, window > 0 and forgetAfter >= slowAfter");
    }
    this.slowAfterMillis = slowAfterMillis;
    this.windowMillis = windowMillis;
    this.forgetAfterMillis = forgetAfterMillis;
  }

  /** A canary the broker acknowledged; a second call for the same id is ignored. */
  void published(String eventId, long publishedAtMillis) {
    if (pending.putIfAbsent(eventId, new Canary(publishedAtMillis)) == null) {
      total++;
    }
  }

  /**
   * The probe saw the canary's row at {@code seenAtMillis}: returns its latency in milliseconds the
   * first time, or -1 if the canary is not pending (not the probe's, seen before, forgotten).
   */
  long seen(String eventId, long seenAtMillis) {
    Canary c = pending.remove(eventId);
    if (c == null) {
      return -1;
    }
    c.queryableAtMillis = seenAtMillis;
    long latency = Math.max(0, seenAtMillis - c.publishedAtMillis);
    if (latency > slowAfterMillis && !c.countedSlow) {
      c.countedSlow = true;
      slow++;
    }
    seen.add(c);
    return latency;
  }

  /** Counts the canaries missing for longer than {@code slowAfter}; forgets very old ones. */
  void expire(long nowMillis) {
    Iterator<Canary> it = pending.values().iterator();
    while (it.hasNext()) {
      Canary c = it.next();
      long age = nowMillis - c.publishedAtMillis;
      if (age > slowAfterMillis && !c.countedSlow) {
        c.countedSlow = true;
        slow++;
      }
      if (age > forgetAfterMillis) {
        it.remove();
      }
    }
    seen.removeIf(c -> nowMillis - c.publishedAtMillis > windowMillis);
  }

  long total() {
    return total;
  }

  long slow() {
    return slow;
  }

  /** Canaries published and not (yet) seen queryable, not forgotten. */
  int pending() {
    return pending.size();
  }

  /** The event ids pending, oldest first; with {@link #oldestPendingMillis()} for the poll. */
  List<String> pendingIds() {
    return new ArrayList<>(pending.keySet());
  }

  /** Publication time of the oldest pending canary, or -1 if none. */
  long oldestPendingMillis() {
    long oldest = -1;
    for (Canary c : pending.values()) {
      if (oldest < 0 || c.publishedAtMillis < oldest) {
        oldest = c.publishedAtMillis;
      }
    }
    return oldest;
  }

  /** The latencies (ms, ascending) of the canaries published in the window ending at now. */
  long[] windowLatencies(long nowMillis) {
    return seen.stream()
        .filter(c -> nowMillis - c.publishedAtMillis <= windowMillis)
        .mapToLong(c -> c.queryableAtMillis - c.publishedAtMillis)
        .map(l -> Math.max(0, l))
        .sorted()
        .toArray();
  }

  /**
   * The nearest-rank quantile {@code q} (0 < q <= 1) of the window's latencies in milliseconds, or
   * NaN when the window holds none.
   */
  double quantile(double q, long nowMillis) {
    return nearestRank(windowLatencies(nowMillis), q);
  }

  /** The {@code ceil(q * n)}-th smallest of sorted {@code values}; NaN if empty. */
  static double nearestRank(long[] sorted, double q) {
    if (q <= 0 || q > 1) {
      throw new IllegalArgumentException("quantile must be in (0, 1], got " + q);
    }
    if (sorted.length == 0) {
      return Double.NaN;
    }
    // q * n is computed in binary floating point (0.95 * 20 is not exactly 19): a hair below an
    // integer rank is that rank.
    int rank = (int) Math.ceil(q * sorted.length - 1e-9);
    return sorted[Math.max(1, rank) - 1];
  }
}

package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedTable;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * The windows a stream that started without the state of the previous one (a lost checkpoint, a new
 * cluster, {@code --fresh}) cannot have seen whole: it reads arrivals from {@code seenWholeFrom}
 * (T0, the earliest arrival time at its start offsets) on, and the previous job's window state of
 * earlier arrivals is gone.
 *
 * <p>A metric window (event time) is partial if any of its events could have arrived before T0: an
 * event arriving before T0 may have occurred up to {@code maxEventTimeAhead} later (the validator's
 * bound), so every window starting before {@code T0 + maxEventTimeAhead} is partial. A {@code
 * pipeline_completeness} window (arrival time) is partial if it starts before the end of T0's hour.
 * Rows of partial windows never replace a stored row of another generation (see {@link
 * CuratedTables#upsertVersioned(java.util.List, PartialWindows)}).
 */
public final class PartialWindows implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long seenWholeFromMillis;
  private final long maxEventTimeAheadMillis;

  private PartialWindows(long seenWholeFromMillis, long maxEventTimeAheadMillis) {
    this.seenWholeFromMillis = seenWholeFromMillis;
    this.maxEventTimeAheadMillis = maxEventTimeAheadMillis;
  }

  public static PartialWindows of(Instant seenWholeFrom, Duration maxEventTimeAhead) {
    Objects.requireNonNull(seenWholeFrom, "seenWholeFrom");
    if (maxEventTimeAhead.isNegative()) {
      throw new IllegalArgumentException("maxEventTimeAhead must not be negative");
    }
    return new PartialWindows(seenWholeFrom.toEpochMilli(), maxEventTimeAhead.toMillis());
  }

  /** T0: the earliest arrival time the stream reads. */
  public Instant seenWholeFrom() {
    return Instant.ofEpochMilli(seenWholeFromMillis);
  }

  /** The validator's bound on how far after its arrival an event may have occurred. */
  public Duration maxEventTimeAhead() {
    return Duration.ofMillis(maxEventTimeAheadMillis);
  }

  /**
   * Windows of {@code table} starting before this instant (epoch ms) were not seen whole: T0 plus
   * the event-time-ahead bound for metric tables, the end of T0's arrival hour for {@code
   * pipeline_completeness}.
   */
  public long partialBeforeMillis(CuratedTable table) {
    if (table == CuratedTable.PIPELINE_COMPLETENESS) {
      return Instant.ofEpochMilli(seenWholeFromMillis)
          .truncatedTo(ChronoUnit.HOURS)
          .plus(1, ChronoUnit.HOURS)
          .toEpochMilli();
    }
    return seenWholeFromMillis + maxEventTimeAheadMillis;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PartialWindows
        && ((PartialWindows) o).seenWholeFromMillis == seenWholeFromMillis
        && ((PartialWindows) o).maxEventTimeAheadMillis == maxEventTimeAheadMillis;
  }

  @Override
  public int hashCode() {
    return Objects.hash(seenWholeFromMillis, maxEventTimeAheadMillis);
  }

  @Override
  public String toString() {
    return "seen whole from "
        + seenWholeFrom()
        + " (event-time-ahead bound "
        + Duration.ofMillis(maxEventTimeAheadMillis)
        + ")";
  }
}

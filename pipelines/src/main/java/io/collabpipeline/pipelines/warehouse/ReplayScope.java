package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;
import io.collabpipeline.model.CuratedTable;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The windows a replay rewrites: a closed range of UTC dates {@code [from, to]}. For each table of
 * {@link #TABLES} (the metric tables) it covers every window whose {@code window_start} lies in
 * {@code [from 00:00Z, to+1 00:00Z)}. Every granularity (minute, hour, day) divides a UTC day, so
 * each covered window lies wholly inside the range: a scope never covers part of a window.
 *
 * <p>{@code pipeline_completeness} is never in a scope: it records the ingestion by arrival hour,
 * which a replay does not re-live, so a replay leaves it as the stream wrote it.
 */
@AutoValue
public abstract class ReplayScope implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The tables a replay rewrites, in the order a commit processes them. */
  public static final List<CuratedTable> TABLES =
      List.of(
          CuratedTable.ACTIVE_EDITORS,
          CuratedTable.TASK_UPDATE_VELOCITY,
          CuratedTable.NOTIFICATION_FANOUT);

  public abstract LocalDate from();

  public abstract LocalDate to();

  /** The dates {@code from..to}, both included; {@code to} must not be before {@code from}. */
  public static ReplayScope of(LocalDate from, LocalDate to) {
    if (from == null || to == null) {
      throw new IllegalArgumentException(
          "a replay scope needs both dates, got " + from + ".." + to);
    }
    if (to.isBefore(from)) {
      throw new IllegalArgumentException(
          "a replay scope must not end (" + to + ") before it starts (" + from + ")");
    }
    return new AutoValue_ReplayScope(from, to);
  }

  /** One UTC date. */
  public static ReplayScope day(LocalDate date) {
    return of(date, date);
  }

  /** {@code from} at 00:00 UTC, epoch milliseconds: the first window start covered. */
  public long startMillis() {
    return from().atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  /** {@code to + 1 day} at 00:00 UTC, epoch milliseconds: window starts are below it. */
  public long endMillisExclusive() {
    return to().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  /** The number of dates covered. */
  public long days() {
    return to().toEpochDay() - from().toEpochDay() + 1;
  }

  /** Whether a replay rewrites {@code table} at all. */
  public static boolean isReplayed(CuratedTable table) {
    return TABLES.contains(table);
  }

  /** Whether the window of {@code windowStart} is covered (for a table of {@link #TABLES}). */
  public boolean coversWindowStart(long windowStart) {
    return windowStart >= startMillis() && windowStart < endMillisExclusive();
  }

  /** Whether this scope covers the row's window: a metric table and a window start in the range. */
  public boolean covers(CuratedRow row) {
    return isReplayed(row.table()) && coversWindowStart(row.getLong("window_start"));
  }

  /** Whether every date of {@code other} is a date of this scope. */
  public boolean contains(ReplayScope other) {
    return !other.from().isBefore(from()) && !other.to().isAfter(to());
  }

  @Override
  public final String toString() {
    return from() + ".." + to();
  }
}

package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The generation log: the warehouse table {@value #TABLE} with one row per generation (stream
 * epoch, batch run or replay) that wrote or staged curated rows: its kind, its date range, its
 * status and row counts. A replay is {@link Status#COMMITTED} only by {@link
 * ReplayStaging#commitReplay}, in the transaction that replaces its windows; a replay that failed
 * or was killed stays {@link Status#RUNNING} or {@link Status#FAILED}, never committed. One of the
 * concerns a {@link Warehouse} handle gives, when the warehouse keeps a log.
 */
public interface GenerationLog {
  /** The log table. */
  String TABLE = "pipeline_generations";

  /**
   * Records {@code generation} as {@link Status#RUNNING} with its kind and range (null for stream
   * and batch generations), started now. Beginning a generation again restarts its entry, unless it
   * was committed: a committed generation is final ({@link IllegalStateException}).
   */
  void begin(long generation, Kind kind, @Nullable ReplayScope range) throws SQLException;

  /** Marks a live (stream or batch) generation finished successfully: {@link Status#COMMITTED}. */
  void markCommitted(long generation) throws SQLException;

  /** Marks a replay that staged and diffed but did not commit: {@link Status#DRY_RUN}. */
  void markDryRun(long generation) throws SQLException;

  /**
   * Marks a generation that failed: {@link Status#FAILED}. Never changes a committed entry and
   * never throws for a missing one (it runs on error paths): returns whether it marked the entry.
   */
  boolean markFailed(long generation) throws SQLException;

  /**
   * Records that stream {@code generation} started without the previous job's state and reads
   * arrivals from {@code seenWholeFrom} (T0) on: column {@code seen_whole_from} of its entry, which
   * must have been begun. Null (the default) means it saw every window whole.
   */
  void recordSeenWholeFrom(long generation, java.time.Instant seenWholeFrom) throws SQLException;

  /** The {@code seen_whole_from} of a generation's entry, if it has one. */
  Optional<java.time.Instant> seenWholeFrom(long generation) throws SQLException;

  /** The log entry of a generation, if it was begun. */
  Optional<Entry> entry(long generation) throws SQLException;

  /** Every log entry, by generation. */
  List<Entry> entries() throws SQLException;

  /** What a generation is. */
  public enum Kind {
    /** A streaming job's epoch. */
    STREAM("stream"),
    /** A plain bounded run over files, written live. */
    BATCH("batch"),
    /** A raw-store replay of a date range (staged, then committed). */
    REPLAY("replay"),
    /** A scheduled late-data correction replay. */
    CORRECTION("correction"),
    /** A replay of re-validated quarantined records. */
    QUARANTINE_REPLAY("quarantine_replay");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    /** The value of the {@code kind} column. */
    public String code() {
      return code;
    }

    /** The kind whose {@link #code()} is {@code code}. */
    public static Kind fromCode(String code) {
      for (Kind k : values()) {
        if (k.code.equals(code)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown generation kind '" + code + "'");
    }
  }

  /** Where a generation is. */
  public enum Status {
    RUNNING("running"),
    COMMITTED("committed"),
    DRY_RUN("dry_run"),
    FAILED("failed");

    private final String code;

    Status(String code) {
      this.code = code;
    }

    /** The value of the {@code status} column. */
    public String code() {
      return code;
    }

    /** The status whose {@link #code()} is {@code code}. */
    public static Status fromCode(String code) {
      for (Status s : values()) {
        if (s.code.equals(code)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown generation status '" + code + "'");
    }
  }

  /** One row of the log. */
  @AutoValue
  public abstract static class Entry {
    public abstract long generation();

    public abstract Kind kind();

    /** The date range of a replay; null for stream and batch generations. */
    public abstract @Nullable ReplayScope range();

    public abstract Status status();

    public abstract Instant startedAt();

    public abstract @Nullable Instant finishedAt();

    /** Rows in the staging tables when the replay was committed, dry-run or failed; null before. */
    public abstract @Nullable Long rowsStaged();

    /** Rows written to the curated tables by the commit; null unless committed. */
    public abstract @Nullable Long rowsCommitted();

    public static Entry of(
        long generation,
        Kind kind,
        @Nullable ReplayScope range,
        Status status,
        Instant startedAt,
        @Nullable Instant finishedAt,
        @Nullable Long rowsStaged,
        @Nullable Long rowsCommitted) {
      return new AutoValue_GenerationLog_Entry(
          generation, kind, range, status, startedAt, finishedAt, rowsStaged, rowsCommitted);
    }
  }

  /**
   * The entry {@code read} for {@code generation}, which must be running to be marked {@code
   * target}: an {@link IllegalStateException} naming the generation otherwise (never begun, or
   * already finished). The rule every log applies before it finishes an entry.
   */
  static Entry requireRunning(Optional<Entry> read, long generation, Status target) {
    Entry entry =
        read.orElseThrow(
            () ->
                new IllegalStateException(
                    "cannot mark generation "
                        + generation
                        + " "
                        + target.code()
                        + ": it was never begun"));
    if (entry.status() != Status.RUNNING) {
      throw new IllegalStateException(
          "cannot mark generation "
              + generation
              + " "
              + target.code()
              + ": its status is "
              + entry.status().code());
    }
    return entry;
  }
}

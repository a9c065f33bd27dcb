package io.collabpipeline.pipelines.warehouse;

import java.io.IOException;
import java.io.Serializable;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounded exponential backoff for {@link WriteCurated}'s JDBC work: the fenced upserts (and replay
 * stagings) of a flush and the opening of the warehouse at setup. Both are safe to repeat: a flush
 * is one transaction of upserts by table key, fenced by (generation, pane), so running it again
 * after a failure — even one that hid a successful commit — writes the same rows; opening and
 * {@code CREATE ... IF NOT EXISTS} are idempotent.
 *
 * <p>An attempt that fails with a {@linkplain #isTransient transient} error (the warehouse down,
 * restarting, refusing connections, a dropped connection, a deadlock) is retried after {@code
 * initialBackoff}, then twice as long each time up to {@code maxBackoff}, for at most {@code
 * maxAttempts} attempts in all; before each retry the caller's {@link Attempts#beforeRetry} runs
 * (WriteCurated closes its connection there, so the next attempt opens a new one). Any other error
 * (a constraint, a syntax error: a bug) and the last transient one are thrown: the bundle fails and
 * the runner's restart strategy takes over. The default, {@value #DEFAULT_MAX_ATTEMPTS} attempts
 * from 1 s up to 16 s, waits 1 + 2 + 4 + 8 + 16 = 31 s before giving up.
 */
final class WarehouseRetry implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int DEFAULT_MAX_ATTEMPTS = 6;
  static final long DEFAULT_INITIAL_BACKOFF_MILLIS = 1_000L;
  static final long DEFAULT_MAX_BACKOFF_MILLIS = 16_000L;

  final int maxAttempts;
  final long initialBackoffMillis;
  final long maxBackoffMillis;

  WarehouseRetry(int maxAttempts, long initialBackoffMillis, long maxBackoffMillis) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
    }
    if (initialBackoffMillis < 0 || maxBackoffMillis < initialBackoffMillis) {
      throw new IllegalArgumentException(
          "backoff must be 0 <= initial <= max, got "
              + initialBackoffMillis
              + " ms and "
              + maxBackoffMillis
              + " ms");
    }
    this.maxAttempts = maxAttempts;
    this.initialBackoffMillis = initialBackoffMillis;
    this.maxBackoffMillis = maxBackoffMillis;
  }

  static WarehouseRetry defaults() {
    return new WarehouseRetry(
        DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF_MILLIS, DEFAULT_MAX_BACKOFF_MILLIS);
  }

  /** The waits between the attempts, in order: {@code maxAttempts - 1} of them. */
  List<Long> backoffs() {
    List<Long> waits = new ArrayList<>();
    long wait = initialBackoffMillis;
    for (int i = 1; i < maxAttempts; i++) {
      waits.add(wait);
      wait = Math.min(maxBackoffMillis, wait * 2);
    }
    return waits;
  }

  /** How long a warehouse outage one call rides out: the sum of {@link #backoffs()}. */
  long toleratedMillis() {
    return backoffs().stream().mapToLong(Long::longValue).sum();
  }

  /** One attempt of the work. */
  interface Attempt {
    void run() throws SQLException;
  }

  /** What the caller does around the attempts. */
  interface Attempts {
    /**
     * Runs after a failed attempt, before the wait: {@code attempt} (1-based) failed with {@code
     * failure} and attempt {@code attempt + 1} follows after {@code waitMillis}.
     */
    void beforeRetry(int attempt, SQLException failure, long waitMillis);
  }

  /** How to wait; tests pass one that records instead of sleeping. */
  interface Sleeper extends Serializable {
    void sleep(long millis) throws InterruptedException;
  }

  static final Sleeper THREAD_SLEEP = Thread::sleep;

  /**
   * Runs {@code attempt} until it succeeds, fails with a non-transient error, or {@code
   * maxAttempts} attempts have failed (then the last error is thrown, with the number of attempts
   * and the time waited in its message and the earlier errors suppressed).
   */
  void run(String what, Attempt attempt, Attempts attempts, Sleeper sleeper) throws SQLException {
    List<Long> waits = backoffs();
    List<SQLException> earlier = new ArrayList<>();
    long waited = 0;
    for (int n = 1; ; n++) {
      try {
        attempt.run();
        return;
      } catch (SQLException e) {
        if (!isTransient(e)) {
          throw e;
        }
        if (n >= maxAttempts) {
          SQLException last =
              new SQLException(
                  what
                      + " failed "
                      + n
                      + " times over "
                      + waited
                      + " ms of backoff, giving up: "
                      + e.getMessage(),
                  e.getSQLState(),
                  e.getErrorCode(),
                  e);
          earlier.forEach(last::addSuppressed);
          throw last;
        }
        long wait = waits.get(n - 1);
        attempts.beforeRetry(n, e, wait);
        earlier.add(e);
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          e.addSuppressed(interrupted);
          throw e;
        }
        waited += wait;
      }
    }
  }

  /**
   * Whether {@code e} says the warehouse could not be reached or dropped the connection, or the
   * transaction lost a conflict, rather than that the statement is wrong: SQLState class 08
   * (connection exception), 53 (insufficient resources, e.g. too many connections), 57P01-57P03
   * (the server shutting down or starting up), 40 (serialization failure, deadlock), JDBC's
   * transient and recoverable exceptions, and an I/O error anywhere in the causes.
   */
  static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException
          || t instanceof SQLRecoverableException
          || t instanceof IOException) {
        return true;
      }
      if (t instanceof SQLException) {
        String state = ((SQLException) t).getSQLState();
        if (state != null
            && (state.startsWith("08")
                || state.startsWith("53")
                || state.startsWith("40")
                || state.equals("57P01")
                || state.equals("57P02")
                || state.equals("57P03"))) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}

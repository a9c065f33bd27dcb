package io.collabpipeline.pipelines.warehouse;

import java.sql.Connection;
import java.util.Optional;

/**
 * A {@link Warehouse} handle on a JDBC warehouse (DuckDB or PostgreSQL; open one with {@link
 * Warehouses#openJdbc}), which has every concern: {@link #curated()}, {@link #staging()} and {@link
 * #log()} give them without an {@link Optional}, for JDBC-only code and tests. The three share one
 * connection ({@link JdbcSession}), so a replay commit and its generation log entry change in one
 * transaction; use the handle from one thread at a time.
 */
public final class JdbcWarehouse implements Warehouse {
  private final JdbcSession session;
  private final JdbcCuratedTables curated;
  private final JdbcReplayStaging staging;
  private final JdbcGenerationLog log;
  private final JdbcCanaryTables canaries;

  JdbcWarehouse(JdbcSession session) {
    this.session = session;
    this.curated = new JdbcCuratedTables(session);
    this.log = new JdbcGenerationLog(session);
    this.staging = new JdbcReplayStaging(session, log);
    this.canaries = new JdbcCanaryTables(session);
  }

  /** The freshness probe's tables: the graph's canaries and the probe's latencies. */
  public CanaryTables canaries() {
    return canaries;
  }

  /** The curated tables and their fenced live writes. */
  public CuratedTables curated() {
    return curated;
  }

  /** Replay staging, diff and commit. */
  public ReplayStaging staging() {
    return staging;
  }

  /** The generation log. */
  public GenerationLog log() {
    return log;
  }

  @Override
  public Optional<CuratedTables> tables() {
    return Optional.of(curated);
  }

  @Override
  public Optional<ReplayStaging> replays() {
    return Optional.of(staging);
  }

  @Override
  public Optional<GenerationLog> generationLog() {
    return Optional.of(log);
  }

  /** The handle's connection, for tests that must reach under the seam. */
  Connection connection() {
    return session.connection;
  }

  @Override
  public void close() {
    session.close();
  }
}

package io.collabpipeline.pipelines.warehouse;

import java.util.Optional;

/**
 * An open handle on a warehouse, for the driver side of a job (creating tables, the generation log,
 * a replay's diff and commit, reading rows back), split by concern: the {@link CuratedTables
 * curated tables}, the {@link ReplayStaging replay staging} and the {@link GenerationLog generation
 * log}. Open one with {@link WarehouseTarget#open()}, or, for a JDBC URL, {@link
 * Warehouses#openJdbc}.
 *
 * <p>What a warehouse cannot do (yet) is an empty accessor, never an exception to be expected or a
 * check of its kind elsewhere: the JDBC warehouses (DuckDB, PostgreSQL) give all three concerns;
 * Snowflake, written by SnowflakeIO, gives the replay staging and the generation log ({@code
 * SnowflakeWarehouse}) but not the curated tables (they come from the repository's DDL and are not
 * read back). The concerns of one handle share its connection: a handle is used by one thread at a
 * time, and what they return stays valid until {@link #close()}.
 */
public interface Warehouse extends AutoCloseable {

  /** The curated tables and their fenced live writes; empty where this handle cannot reach them. */
  Optional<CuratedTables> tables();

  /** Replay staging, diff and commit; empty where replays into this warehouse are not built. */
  Optional<ReplayStaging> replays();

  /** The generation log; empty where this warehouse keeps none. */
  Optional<GenerationLog> generationLog();

  /** Releases this handle; the tables stay. */
  @Override
  void close();
}

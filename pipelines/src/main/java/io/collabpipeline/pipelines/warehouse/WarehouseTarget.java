package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.CuratedRow;
import java.io.Serializable;
import java.sql.SQLException;
import java.util.Optional;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The warehouse a job writes its curated rows to, as the job's configuration holds it: the Beam
 * writes on the worker side, and a {@link Warehouse} handle on the driver side. Made from a {@code
 * --warehouseUrl} by {@link WarehouseTargets}: a JDBC warehouse (DuckDB, PostgreSQL) written by
 * {@link WriteCurated}, or Snowflake written by SnowflakeIO ({@code WriteSnowflakeCurated}).
 *
 * <p>What a warehouse cannot do yet is in the types, so no caller asks which warehouse it is: a
 * replay's staged write is {@link Optional#empty() empty} where replays are not built (Snowflake),
 * and so are the concerns of {@link #open()}'s handle that the job cannot reach. A target is
 * serializable, holds secrets only as references, and is equal to another that writes the same
 * warehouse the same way.
 */
public interface WarehouseTarget extends Serializable {

  /**
   * The live write of the curated rows of a job of {@code generation}: upserts fenced by
   * (generation, pane index), so an older pane or generation never overwrites a newer one. Rows
   * must come straight from the windowed aggregation (see {@link WriteCurated}).
   */
  PTransform<PCollection<CuratedRow>, PDone> writeLive(long generation);

  /**
   * {@link #writeLive(long)} for a stream that started without the previous job's state and sees
   * windows whole only from {@code partial}'s T0 on (null: it sees every window whole): a row of a
   * window it could not see whole never replaces another generation's row, and the window is
   * recorded as due for a correction replay, where the warehouse can ({@link
   * #fencesPartialWindows()}).
   */
  default PTransform<PCollection<CuratedRow>, PDone> writeLive(
      long generation, @Nullable PartialWindows partial) {
    return writeLive(generation);
  }

  /**
   * Whether {@link #writeLive(long, PartialWindows)} keeps other generations' rows of partial
   * windows and records them as due (DuckDB, PostgreSQL, Snowflake); false where it is not built,
   * which then writes as {@link #writeLive(long)}. Whether a replay can then correct them is {@link
   * #writeStaged}'s presence.
   */
  default boolean fencesPartialWindows() {
    return false;
  }

  /**
   * A replay's write of its rows under {@code generation} (positive) into staging, never touching
   * the curated tables, for the driver to diff and commit through {@link Warehouse#replays()};
   * empty where replays into this warehouse are not built.
   */
  Optional<PTransform<PCollection<CuratedRow>, PDone>> writeStaged(long generation);

  /**
   * The live write of the freshness probe's canary events to {@code pipeline_canary} ({@link
   * WriteCanaries} on DuckDB and PostgreSQL, {@code WriteSnowflakeCanaries} on Snowflake); empty
   * where it is not built, and the graph then writes canaries only to the raw store.
   */
  default Optional<PTransform<PCollection<CollabEvent>, PDone>> writeCanaries() {
    return Optional.empty();
  }

  /**
   * Opens a handle for the driver side; its concerns are empty where this job cannot reach them.
   */
  Warehouse open() throws SQLException;

  /**
   * Whether the driver should hold a handle ({@link #open()}) for the whole run of a job whose
   * tasks run in its own JVM: true for an embedded database that a last handle's close closes
   * (DuckDB, where each close checkpoints the file and each next open reads it again); false for a
   * server, where a held connection would only sit idle.
   */
  default boolean heldOpenForInProcessJobs() {
    return false;
  }

  /** The warehouse URL with any password masked, for messages and logs. */
  String describe();
}

package io.collabpipeline.pipelines.warehouse;

import io.collabpipeline.model.CuratedTable;
import java.sql.SQLException;

/**
 * A replay commit was refused because a newer generation (a later replay or a later stream epoch)
 * already holds a window of its scope. Nothing was written: the transaction was rolled back.
 */
public final class GenerationFencedException extends SQLException {
  private static final long serialVersionUID = 1L;

  private final CuratedTable table;
  private final long generation;
  private final long newerGeneration;

  public GenerationFencedException(
      CuratedTable table, long generation, long newerGeneration, ReplayScope scope) {
    super(
        "refused to commit generation "
            + generation
            + " for "
            + scope
            + ": table "
            + table.tableName()
            + " holds rows of the newer generation "
            + newerGeneration
            + " in that range; nothing was changed"
            + " (replay again with a generation above "
            + newerGeneration
            + " to replace them)");
    this.table = table;
    this.generation = generation;
    this.newerGeneration = newerGeneration;
  }

  public CuratedTable table() {
    return table;
  }

  public long generation() {
    return generation;
  }

  public long newerGeneration() {
    return newerGeneration;
  }
}

package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import io.collabpipeline.model.CuratedRow;

/**
 * A curated row with the version that fences its write: the {@code generation} of the job that
 * computed it (stream epoch or replay id) and the {@code paneIndex} of the pane it came from. A
 * write replaces the stored row of its key iff {@code (generation, paneIndex) >= (stored
 * generation, stored pane_index)}, compared lexicographically ({@link #isAtLeast}).
 */
@AutoValue
public abstract class VersionedRow {

  public abstract CuratedRow row();

  public abstract long generation();

  public abstract long paneIndex();

  /**
   * Both numbers must be {@code >= 0}; generation 0 is "no generation" (rows written before
   * generations existed).
   */
  public static VersionedRow of(CuratedRow row, long generation, long paneIndex) {
    if (generation < 0 || paneIndex < 0) {
      throw new IllegalArgumentException(
          "generation and pane index must be >= 0, got " + generation + " and " + paneIndex);
    }
    return new AutoValue_VersionedRow(row, generation, paneIndex);
  }

  /**
   * Whether this row's version is greater than or equal to {@code (generation, paneIndex)},
   * lexicographically.
   */
  public boolean isAtLeast(long generation, long paneIndex) {
    return generation() > generation || (generation() == generation && paneIndex() >= paneIndex);
  }
}

package io.collabpipeline.pipelines.warehouse;

import com.google.auto.value.AutoValue;
import java.time.Instant;

/**
 * A metric window a stream that started without state could not see whole (see {@link
 * PartialWindows}): a row of {@code pipeline_corrections_due}, cleared by the raw replay that
 * commits its date.
 */
@AutoValue
public abstract class CorrectionDue {
  public abstract Instant windowStart();

  public abstract String granularity();

  /** The generation of the stream that could not see the window whole. */
  public abstract long generation();

  public static CorrectionDue of(Instant windowStart, String granularity, long generation) {
    return new AutoValue_CorrectionDue(windowStart, granularity, generation);
  }
}

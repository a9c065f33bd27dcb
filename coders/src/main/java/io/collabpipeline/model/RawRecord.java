package io.collabpipeline.model;

import com.google.auto.value.AutoValue;

/**
 * One record exactly as it was received, before any parsing: the bytes, where they came from, and
 * when they arrived.
 *
 * <p>{@link #receivedAtMillis()} is the arrival time as the platform recorded it (Kafka log-append
 * time, a file's modification time, the generator's synthetic arrival clock). It is a property of
 * the input, not of the run, so a re-run of the same input accounts every record to the same hour
 * of arrival.
 */
@AutoValue
public abstract class RawRecord {

  @SuppressWarnings("mutable")
  public abstract byte[] payload();

  public abstract SourceRef source();

  public abstract long receivedAtMillis();

  public static RawRecord of(byte[] payload, SourceRef source, long receivedAtMillis) {
    return new AutoValue_RawRecord(payload, source, receivedAtMillis);
  }
}

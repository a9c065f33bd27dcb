package io.collabpipeline.pipelines.kafka;

import java.util.Optional;
import java.util.function.Supplier;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The arrival clock of one Kafka partition: each record is timestamped with its Kafka timestamp
 * (the broker's log-append time on the topics this project creates), and the watermark is "every
 * record that will still come has a timestamp after this".
 *
 * <p>Watermark of a partition, never moving backwards, starting at the checkpointed watermark on a
 * restore:
 *
 * <ul>
 *   <li>while records are read: {@code min(newest timestamp read, now) - maxOutOfOrderness}. On a
 *       LogAppendTime topic timestamps never go backwards within a partition, so nothing falls
 *       behind it; on a CreateTime topic a producer's record may be up to {@code maxOutOfOrderness}
 *       older than the newest one read before it. The cap at {@code now} keeps a producer whose
 *       clock runs ahead from pushing the watermark into the future.
 *   <li>when the partition is caught up (backlog 0 at the reader's last end-offset check, made at
 *       local time {@code T}): at least {@code T - maxOutOfOrderness}, because anything appended
 *       later is stamped at or after the broker's {@code T}. This also advances partitions that
 *       never had a record, which Beam's {@code CustomTimestampPolicyWithLimitedDelay} (2.70) does
 *       not: it waits for one record with a positive timestamp, so one empty partition would hold
 *       the whole job's watermark at the beginning of time.
 * </ul>
 *
 * <p>{@code maxOutOfOrderness} therefore also covers the clock difference between the broker and
 * the reader's machine. A record without a timestamp (a pre-0.10 message format, which no topic of
 * this project has) is stamped with the reader's clock.
 */
public final class KafkaArrivalTimePolicy extends TimestampPolicy<byte[], byte[]> {

  private final Duration maxOutOfOrderness;
  private final Supplier<Instant> clock;
  private @Nullable Instant newestRead;
  private Instant watermark;

  /** A policy on the system clock. */
  public KafkaArrivalTimePolicy(Duration maxOutOfOrderness, Optional<Instant> previousWatermark) {
    this(maxOutOfOrderness, previousWatermark, Instant::now);
  }

  /** A policy on the given clock (tests). */
  public KafkaArrivalTimePolicy(
      Duration maxOutOfOrderness, Optional<Instant> previousWatermark, Supplier<Instant> clock) {
    if (maxOutOfOrderness == null || maxOutOfOrderness.getMillis() < 0) {
      throw new IllegalArgumentException(
          "maxOutOfOrderness must be >= 0, got " + maxOutOfOrderness);
    }
    this.maxOutOfOrderness = maxOutOfOrderness;
    this.clock = clock;
    this.watermark = previousWatermark.orElse(BoundedWindow.TIMESTAMP_MIN_VALUE);
  }

  /** A factory creating one {@link KafkaArrivalTimePolicy} per partition on the system clock. */
  public static TimestampPolicyFactory<byte[], byte[]> factory(Duration maxOutOfOrderness) {
    return new Factory(maxOutOfOrderness);
  }

  @Override
  public Instant getTimestampForRecord(
      PartitionContext context, KafkaRecord<byte[], byte[]> record) {
    Instant timestamp =
        record.getTimestamp() >= 0 ? new Instant(record.getTimestamp()) : clock.get();
    if (newestRead == null || timestamp.isAfter(newestRead)) {
      newestRead = timestamp;
    }
    return timestamp;
  }

  @Override
  public Instant getWatermark(PartitionContext context) {
    Instant now = clock.get();
    Instant candidate = watermark;
    if (newestRead != null) {
      candidate = later(candidate, earlier(newestRead, now).minus(maxOutOfOrderness));
    }
    Instant checkedAt = context.getMessageBacklog() == 0 ? context.getBacklogCheckTime() : null;
    if (checkedAt != null && checkedAt.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE)) {
      candidate = later(candidate, earlier(checkedAt, now).minus(maxOutOfOrderness));
    }
    watermark = earlier(candidate, BoundedWindow.TIMESTAMP_MAX_VALUE);
    return watermark;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** Serializable: it travels with the source to the workers. */
  private static final class Factory implements TimestampPolicyFactory<byte[], byte[]> {
    private static final long serialVersionUID = 1L;

    private final Duration maxOutOfOrderness;

    Factory(Duration maxOutOfOrderness) {
      this.maxOutOfOrderness = maxOutOfOrderness;
    }

    @Override
    public TimestampPolicy<byte[], byte[]> createTimestampPolicy(
        TopicPartition partition, Optional<Instant> previousWatermark) {
      return new KafkaArrivalTimePolicy(maxOutOfOrderness, previousWatermark);
    }
  }
}

package io.collabpipeline.it.kafka;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.pipelines.kafka.KafkaArrivalTimePolicy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.io.kafka.TimestampPolicy.PartitionContext;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The arrival-time watermark of one partition, on a controlled clock (no broker needed). */
@RunWith(JUnit4.class)
public class KafkaArrivalTimePolicyTest {
  private static final Duration BOUND = Duration.standardSeconds(5);

  private final AtomicReference<Instant> now = new AtomicReference<>(seconds(1_000));

  private static Instant seconds(long s) {
    return new Instant(s * 1000);
  }

  private static KafkaRecord<byte[], byte[]> record(long timestampMillis, KafkaTimestampType type) {
    return new KafkaRecord<>("t", 0, 0, timestampMillis, type, null, new byte[0], new byte[] {1});
  }

  private static PartitionContext context(long backlog, Instant checkedAt) {
    return new PartitionContext() {
      @Override
      public long getMessageBacklog() {
        return backlog;
      }

      @Override
      public Instant getBacklogCheckTime() {
        return checkedAt;
      }
    };
  }

  private KafkaArrivalTimePolicy policy(Optional<Instant> previous) {
    return new KafkaArrivalTimePolicy(BOUND, previous, now::get);
  }

  @Test
  public void recordsAreTimestampedWithTheirKafkaTimestamp() {
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    PartitionContext busy = context(10, seconds(900));
    assertThat(
        policy.getTimestampForRecord(busy, record(123_456L, KafkaTimestampType.LOG_APPEND_TIME)),
        equalTo(new Instant(123_456L)));
    assertThat(
        policy.getTimestampForRecord(busy, record(99_000L, KafkaTimestampType.CREATE_TIME)),
        equalTo(new Instant(99_000L)));
  }

  @Test
  public void outOfOrderRecordsWithinTheBoundStayAheadOfTheWatermark() {
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    PartitionContext busy = context(10, seconds(900));
    policy.getTimestampForRecord(
        busy, record(seconds(100).getMillis(), KafkaTimestampType.CREATE_TIME));
    policy.getTimestampForRecord(
        busy, record(seconds(103).getMillis(), KafkaTimestampType.CREATE_TIME));
    Instant watermark = policy.getWatermark(busy);
    assertThat(watermark, equalTo(seconds(98)));
    // A record 4 s older than the newest read (within the 5 s bound) is not behind the watermark.
    Instant older =
        policy.getTimestampForRecord(
            busy, record(seconds(99).getMillis(), KafkaTimestampType.CREATE_TIME));
    assertThat(older.isBefore(watermark), equalTo(false));
    assertThat(policy.getWatermark(busy), equalTo(seconds(98)));
  }

  @Test
  public void watermarkNeverGoesPastNowMinusTheBound() {
    now.set(seconds(100));
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    PartitionContext busy = context(10, seconds(90));
    policy.getTimestampForRecord(
        busy, record(seconds(500).getMillis(), KafkaTimestampType.CREATE_TIME));
    assertThat(policy.getWatermark(busy), equalTo(seconds(95)));
  }

  @Test
  public void emptyPartitionAdvancesOnceCaughtUp() {
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    assertThat(
        policy.getWatermark(context(-1, seconds(990))), equalTo(BoundedWindow.TIMESTAMP_MIN_VALUE));
    assertThat(policy.getWatermark(context(0, seconds(990))), equalTo(seconds(985)));
  }

  @Test
  public void idlePartitionAdvancesPastItsLastRecordButABacklogHoldsIt() {
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    policy.getTimestampForRecord(
        context(3, seconds(200)),
        record(seconds(100).getMillis(), KafkaTimestampType.LOG_APPEND_TIME));
    assertThat(policy.getWatermark(context(3, seconds(300))), equalTo(seconds(95)));
    assertThat(policy.getWatermark(context(0, seconds(300))), equalTo(seconds(295)));
  }

  @Test
  public void watermarkNeverMovesBackwardsFromTheCheckpointedOne() {
    KafkaArrivalTimePolicy policy = policy(Optional.of(seconds(500)));
    PartitionContext busy = context(10, seconds(400));
    assertThat(policy.getWatermark(busy), equalTo(seconds(500)));
    policy.getTimestampForRecord(
        busy, record(seconds(450).getMillis(), KafkaTimestampType.LOG_APPEND_TIME));
    assertThat(policy.getWatermark(busy), equalTo(seconds(500)));
    policy.getTimestampForRecord(
        busy, record(seconds(600).getMillis(), KafkaTimestampType.LOG_APPEND_TIME));
    assertThat(policy.getWatermark(busy), equalTo(seconds(595)));
  }

  @Test
  public void recordWithoutTimestampGetsTheReadersClock() {
    KafkaArrivalTimePolicy policy = policy(Optional.empty());
    assertThat(
        policy.getTimestampForRecord(
            context(1, seconds(1)), record(-1L, KafkaTimestampType.NO_TIMESTAMP_TYPE)),
        equalTo(seconds(1_000)));
  }
}

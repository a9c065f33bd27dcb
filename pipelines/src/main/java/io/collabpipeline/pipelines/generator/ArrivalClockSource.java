package io.collabpipeline.pipelines.generator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The delivery indices {@code [0, count)} as an unbounded source read at a wall-clock rate, each
 * index timestamped with its arrival on the synthetic arrival clock, with a watermark that follows
 * that clock and reaches the end of time after the last index, so a streaming job over a finite
 * workload ends.
 *
 * <p>Why not {@code GenerateSequence.to(n).withRate(...)}: Beam turns a rate-limited sequence with
 * an end into a bounded read, whose watermark (on Flink streaming) does not advance until the end,
 * so windows would not close as the synthetic clock moves.
 *
 * <p>Splits into shards by stride (shard {@code j} of {@code k} reads {@code j, j + k, ...}), each
 * at {@code rate / k}; the checkpoint is the next index to read.
 */
final class ArrivalClockSource extends UnboundedSource<Long, ArrivalClockSource.NextIndex> {

  private static final long serialVersionUID = 1L;

  /**
   * A reader catches up at most this much wall-clock time of records after a stall (GC pause, back
   * pressure); longer stalls lower the average rate instead of causing a burst.
   */
  static final double BURST_SECONDS = 1.0;

  private final long first;
  private final long stride;
  private final long count;
  private final double ratePerSecond;
  private final long startMillis;
  private final double syntheticRate;
  private final NanoClock clock;

  ArrivalClockSource(long count, double ratePerSecond, long startMillis, double syntheticRate) {
    this(count, ratePerSecond, startMillis, syntheticRate, System::nanoTime);
  }

  /** As the public constructor, on another clock (tests). */
  ArrivalClockSource(
      long count, double ratePerSecond, long startMillis, double syntheticRate, NanoClock clock) {
    this(0, 1, count, ratePerSecond, startMillis, syntheticRate, clock);
  }

  private ArrivalClockSource(
      long first,
      long stride,
      long count,
      double ratePerSecond,
      long startMillis,
      double syntheticRate,
      NanoClock clock) {
    this.first = first;
    this.stride = stride;
    this.count = count;
    this.ratePerSecond = ratePerSecond;
    this.startMillis = startMillis;
    this.syntheticRate = syntheticRate;
    this.clock = clock;
  }

  @Override
  public List<ArrivalClockSource> split(int desiredNumSplits, PipelineOptions options) {
    int shards = (int) Math.max(1, Math.min(desiredNumSplits, Math.min(count, 1024)));
    List<ArrivalClockSource> splits = new ArrayList<>(shards);
    for (int j = 0; j < shards; j++) {
      splits.add(
          new ArrivalClockSource(
              first + j * stride,
              stride * shards,
              count,
              ratePerSecond / shards,
              startMillis,
              syntheticRate,
              clock));
    }
    return splits;
  }

  @Override
  public UnboundedReader<Long> createReader(
      PipelineOptions options, @Nullable NextIndex checkpoint) {
    return new Reader(this, checkpoint == null ? first : checkpoint.next, clock);
  }

  @Override
  public Coder<NextIndex> getCheckpointMarkCoder() {
    return NextIndexCoder.INSTANCE;
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  long arrival(long index) {
    return WorkloadGenerator.arrivalMillis(startMillis, syntheticRate, index);
  }

  /** The checkpoint: the next index this shard will read. Nothing to finalize. */
  static final class NextIndex implements UnboundedSource.CheckpointMark {
    final long next;

    NextIndex(long next) {
      this.next = next;
    }

    @Override
    public void finalizeCheckpoint() {}
  }

  private static final class NextIndexCoder extends AtomicCoder<NextIndex> {
    static final NextIndexCoder INSTANCE = new NextIndexCoder();

    @Override
    public void encode(NextIndex value, OutputStream out) throws IOException {
      VarLongCoder.of().encode(value.next, out);
    }

    @Override
    public NextIndex decode(InputStream in) throws IOException {
      return new NextIndex(VarLongCoder.of().decode(in));
    }
  }

  /** A clock of nanoseconds, {@link System#nanoTime()} unless a test injects another. */
  interface NanoClock extends Serializable {
    long nanoTime();
  }

  /**
   * The reader: a {@link WallClockRate} token bucket per shard. When {@code advance()} finds its
   * batch used up it reads the clock once and takes every record due since (at most {@link
   * #BURST_SECONDS} of them); with none due it returns {@code false} at once (never sleeps): the
   * runner polls again (Beam's Flink source reader waits at most 50 ms for an idle split).
   */
  static final class Reader extends UnboundedReader<Long> {
    private final ArrivalClockSource source;
    private final NanoClock clock;
    private long next;
    private long current = -1;
    private @Nullable WallClockRate rate;
    private long batchLeft;

    Reader(ArrivalClockSource source, long next, NanoClock clock) {
      this.source = source;
      this.next = next;
      this.clock = clock;
    }

    @Override
    public boolean start() {
      rate = new WallClockRate(source.ratePerSecond, BURST_SECONDS, clock.nanoTime());
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= source.count) {
        return false;
      }
      if (batchLeft == 0) {
        WallClockRate r = rate;
        if (r == null) {
          throw new IllegalStateException("advance() before start()");
        }
        batchLeft = r.take(clock.nanoTime());
        if (batchLeft == 0) {
          return false; // ahead of the wall-clock rate: the runner asks again later
        }
      }
      batchLeft--;
      current = next;
      next += source.stride;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0) {
        throw new NoSuchElementException("no current index: start() or advance() returned false");
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(source.arrival(getCurrent()));
    }

    @Override
    public Instant getWatermark() {
      // Arrival is non-decreasing in the index, so nothing this shard still has to read arrives
      // before its next index.
      return next >= source.count
          ? BoundedWindow.TIMESTAMP_MAX_VALUE
          : new Instant(source.arrival(next));
    }

    @Override
    public NextIndex getCheckpointMark() {
      return new NextIndex(next);
    }

    @Override
    public ArrivalClockSource getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}

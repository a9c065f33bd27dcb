package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The rate-limited source of delivery indices: arrival timestamps, a watermark on the arrival
 * clock, checkpoints.
 */
@RunWith(JUnit4.class)
public class ArrivalClockSourceTest {

  private static final long START = 1_000_000L;
  private final PipelineOptions options = PipelineOptionsFactory.create();

  /**
   * Reads a reader to its end, checking timestamps and that the watermark never passes an unread
   * arrival.
   */
  private static List<Long> drain(
      UnboundedSource.UnboundedReader<Long> reader, ArrivalClockSource source)
      throws IOException, InterruptedException {
    List<Long> read = new ArrayList<>();
    Instant lastWatermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
    boolean available = reader.start();
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      if (available) {
        long index = reader.getCurrent();
        assertThat(reader.getCurrentTimestamp().getMillis(), is(source.arrival(index)));
        assertThat(
            "watermark passed an element",
            lastWatermark.getMillis(),
            lessThanOrEqualTo(source.arrival(index)));
        read.add(index);
      } else if (reader.getWatermark().equals(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        break;
      } else {
        Thread.sleep(2);
      }
      assertThat(reader.getWatermark(), greaterThanOrEqualTo(lastWatermark));
      lastWatermark = reader.getWatermark();
      assertThat("reader never finished", System.currentTimeMillis() < deadline, is(true));
      available = reader.advance();
    }
    return read;
  }

  @Test
  public void splitsCoverEveryIndexOnceWithArrivalTimestamps() throws Exception {
    ArrivalClockSource source = new ArrivalClockSource(100, 1_000_000, START, 40.0);
    List<Long> all = new ArrayList<>();
    for (ArrivalClockSource split : source.split(3, options)) {
      List<Long> read = drain(split.createReader(options, null), split);
      for (int i = 1; i < read.size(); i++) {
        assertThat(read.get(i) - read.get(i - 1), is(3L));
      }
      all.addAll(read);
    }
    all.sort(null);
    List<Long> expected = new ArrayList<>();
    for (long i = 0; i < 100; i++) {
      expected.add(i);
    }
    assertThat(all, is(expected));
    assertThat(source.arrival(40), is(START + 1000));
  }

  @Test
  public void aReaderResumesFromItsCheckpoint() throws Exception {
    ArrivalClockSource source = new ArrivalClockSource(30, 1_000_000, START, 10.0);
    UnboundedSource.UnboundedReader<Long> reader = source.createReader(options, null);
    assertThat(reader.start(), is(true));
    long expected = 0;
    while (expected < 9) {
      if (reader.advance()) { // false while ahead of the wall-clock rate
        assertThat(reader.getCurrent(), is(++expected));
      } else {
        Thread.sleep(1);
      }
    }
    assertThat(reader.getCurrent(), is(9L));
    ArrivalClockSource.NextIndex mark = (ArrivalClockSource.NextIndex) reader.getCheckpointMark();
    ArrivalClockSource.NextIndex decoded =
        CoderUtils.decodeFromByteArray(
            source.getCheckpointMarkCoder(),
            CoderUtils.encodeToByteArray(source.getCheckpointMarkCoder(), mark));
    assertThat(decoded.next, is(10L));
    assertThat(reader.getWatermark().getMillis(), is(source.arrival(10)));
    List<Long> rest = drain(source.createReader(options, decoded), source);
    assertThat(rest.get(0), is(10L));
    assertThat(rest.size(), is(20));
  }

  /** A clock the test moves by hand. */
  private static final class ManualClock implements ArrivalClockSource.NanoClock {
    private static final long serialVersionUID = 1L;
    long now;

    @Override
    public long nanoTime() {
      return now;
    }
  }

  @Test
  public void theReaderEmitsWhatIsDueOnTheWallClockAndNoMore() throws Exception {
    // 11 records at 50/s: the first at once, one each 20 ms after; nothing is read ahead of time.
    ManualClock clock = new ManualClock();
    ArrivalClockSource source = new ArrivalClockSource(11, 50, START, 40.0, clock);
    UnboundedSource.UnboundedReader<Long> reader = source.createReader(options, null);
    assertThat(reader.start(), is(true));
    assertThat(reader.getCurrent(), is(0L));
    assertThat(reader.advance(), is(false));
    clock.now = 19_000_000L;
    assertThat(reader.advance(), is(false));
    clock.now = 20_000_000L;
    assertThat(reader.advance(), is(true));
    assertThat(reader.getCurrent(), is(1L));
    assertThat(reader.advance(), is(false));
    // 180 ms later nine more are due at once, one batch: the rest of the workload.
    clock.now = 200_000_000L;
    List<Long> batch = new ArrayList<>();
    while (reader.advance()) {
      batch.add(reader.getCurrent());
    }
    assertThat(batch, is(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L)));
    assertThat(reader.getWatermark(), is(BoundedWindow.TIMESTAMP_MAX_VALUE));
  }

  @Test
  public void splitsShareTheRateAndAStalledReaderCatchesUpOneSecondAtMost() throws Exception {
    // 1,000/s over 2 shards: 500/s each. Asked after 3 s, a shard has 1 + 500 due (its burst
    // is 1 s of records), not 1 + 1,500.
    ManualClock clock = new ManualClock();
    ArrivalClockSource source = new ArrivalClockSource(100_000, 1_000, START, 40.0, clock);
    List<ArrivalClockSource> shards = source.split(2, options);
    assertThat(shards.size(), is(2));
    UnboundedSource.UnboundedReader<Long> reader = shards.get(1).createReader(options, null);
    long read = reader.start() ? 1 : 0;
    clock.now = 3_000_000_000L;
    while (reader.advance()) {
      read++;
    }
    assertThat(read, is(501L));
    assertThat(reader.getCurrent(), is(1L + 2 * 500));
  }
}

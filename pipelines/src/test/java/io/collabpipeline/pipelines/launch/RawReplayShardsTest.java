package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.metrics.ShardedMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** How many dedup shards a replay takes: the default, or one per 64 MiB of its Parquet files. */
public class RawReplayShardsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void oneShardPer64MebibytesAboveTheDefault() {
    long perShard = RawReplayJob.BYTES_PER_SHARD;
    int base = ShardedMetrics.DEFAULT_SHARDS;
    assertThat(RawReplayJob.shardsFor(0), is(base));
    assertThat(RawReplayJob.shardsFor(perShard * base), is(base));
    assertThat(RawReplayJob.shardsFor(perShard * base + 1), is(base + 1));
    // 30 days of 250K events/s at 500 bytes each: 324 TB, about 4.8 million shards.
    assertThat(RawReplayJob.shardsFor(324_000_000_000_000L), is(4_827_977));
    assertThat(RawReplayJob.shardsFor(Long.MAX_VALUE), is(Integer.MAX_VALUE));
  }

  @Test
  public void theBytesAreThoseOfTheRangesParquetFiles() throws Exception {
    Path raw = tmp.newFolder("raw").toPath();
    Path in = Files.createDirectories(raw.resolve("dt=2026-11-02/hr=07"));
    Path out = Files.createDirectories(raw.resolve("dt=2026-11-04/hr=00"));
    Files.write(in.resolve("part-a.parquet"), new byte[1000]);
    Files.write(in.resolve("part-b.parquet"), new byte[234]);
    Files.write(out.resolve("part-c.parquet"), new byte[5000]);
    ReplayScope range =
        ReplayScope.of(LocalDate.parse("2026-11-01"), LocalDate.parse("2026-11-03"));
    assertThat(
        io.collabpipeline.pipelines.stores.RawStoreIO.bytesOf(raw.toString(), range), is(1234L));
    assertThat(RawReplayJob.shards(raw.toString(), range), is(ShardedMetrics.DEFAULT_SHARDS));
  }
}

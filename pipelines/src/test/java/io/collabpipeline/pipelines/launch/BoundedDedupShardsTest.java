package io.collabpipeline.pipelines.launch;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * How many shards a bounded job's dedup takes: the default, or one per 32 MiB of input, so that a
 * shard's events stay within a worker's heap however large the input.
 */
public class BoundedDedupShardsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void oneShardPer32MebibytesOfInputAboveTheDefault() {
    long perShard = 32L << 20;
    int base = DedupByEventId.DEFAULT_BOUNDED_SHARDS;
    assertThat(JobConfig.dedupShardsFor(0), is(base));
    assertThat(JobConfig.dedupShardsFor(perShard * base), is(base));
    assertThat(JobConfig.dedupShardsFor(perShard * base + 1), is(base + 1));
    // A day at the brief's peak of 250K events/s, 1.5 KB each: 32.4 TB, about a million shards.
    assertThat(JobConfig.dedupShardsFor(32_400_000_000_000L), is(965_596));
    assertThat(JobConfig.dedupShardsFor(Long.MAX_VALUE), is(Integer.MAX_VALUE));
  }

  @Test
  public void aFileInputCountsItsFilesAndAGzipFileEightTimes() throws Exception {
    Path in = tmp.newFolder("in").toPath();
    Files.write(in.resolve("a.ndjson"), new byte[1000]);
    Files.write(in.resolve("b.ndjson.gz"), new byte[100]);
    Files.write(tmp.getRoot().toPath().resolve("elsewhere.ndjson"), new byte[5000]);
    assertThat(JobConfig.inputBytesOf(in + "/*"), is(1000L + 8 * 100L));
  }

  @Test
  public void aJobsGraphGetsTheShardsOfItsInput() throws Exception {
    Path in = tmp.newFolder("files").toPath();
    Files.write(in.resolve("events.ndjson"), new byte[10]);
    JobConfig files =
        JobConfig.from(
            CommandLine.parseOptions(
                new String[] {
                  "--source=files", "--input=" + in + "/*", "--dataDir=" + tmp.newFolder("d1")
                }));
    assertThat(files.graph.dedupShards(), is(DedupByEventId.DEFAULT_BOUNDED_SHARDS));
    // 40 million generated events of about 1,500 bytes: 60 GB, 1,789 shards of 32 MiB.
    JobConfig generated =
        JobConfig.from(
            CommandLine.parseOptions(
                new String[] {"--events=40000000", "--dataDir=" + tmp.newFolder("d2")}));
    assertThat(generated.graph.dedupShards(), is(1_789));
  }
}

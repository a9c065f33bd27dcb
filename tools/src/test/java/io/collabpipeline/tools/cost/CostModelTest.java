package io.collabpipeline.tools.cost;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.junit.Assert.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.Test;

/**
 * Issue 11, point 6: the cost model's arithmetic on a small scenario at round test prices
 * (round-prices.properties), each expected value worked out by hand in the comments.
 */
public class CostModelTest {
  private static final double CENT = 0.01;

  static Prices roundPrices() {
    try {
      Path file = Paths.get(CostModelTest.class.getResource("round-prices.properties").toURI());
      return Prices.fromFile(file);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** 10K events/s peak, 5K average, 1,000-byte events; every other option set below. */
  static Assumptions small() {
    Assumptions a = new Assumptions();
    String[][] options = {
      {"peakEventsPerSecond", "10000"},
      {"averageEventsPerSecond", "5000"},
      {"eventBytes", "1000"},
      {"duplicateFraction", "0.05"},
      {"quarantineFraction", "0.05"},
      {"rawParquetRatio", "0.1"},
      {"quarantineStoreRatio", "0.01"},
      {"streamEventsPerSecondPerCore", "1000"},
      {"streamHeadroom", "2"},
      {"replayEventsPerSecondPerCore", "2000"},
      {"replaysPerMonth", "1"},
      {"replayDays", "30"},
      {"replayHours", "24"},
      {"collectorEventsPerSecondPerCore", "2000"},
      {"collectorHeadroom", "1.5"},
      {"requestBytesFactor", "1"},
      {"kafkaCompressionRatio", "0.5"},
      {"kafkaRetentionDays", "4"},
      {"kafkaReplication", "3"},
      {"consumerGroups", "1"},
      {"brokerUtilization", "0.5"},
      {"kafkaStorageFill", "0.8"},
      {"rawFilesPerMinute", "10"},
      {"uploadPartMiB", "64"},
      {"replayGetMiB", "8"},
      {"dedupBytesPerId", "64"},
      {"dedupHorizonHours", "24"},
      {"stateDiskFactor", "2"},
      {"rootDiskGbPerNode", "64"},
      {"checkpointMinutes", "1"},
      {"retainedCheckpoints", "2"},
      {"mergeCadenceMinutes", "5"},
      {"mergeSeconds", "30"},
      {"autoSuspendSeconds", "60"},
      {"dbtRunsPerDay", "24"},
      {"dbtMinutesPerRun", "5"},
      {"snowflakeReplayCreditHours", "2"},
      {"curatedGbPerDay", "2"},
      {"curatedYears", "3"},
      {"snowflakeStorageOverhead", "1.25"},
      {"mwaaExtraWorkers", "1"},
      {"producerCrossAzFraction", "0.5"},
      {"consumerCrossAzFraction", "0"},
      {"natGateways", "1"},
    };
    for (String[] kv : options) {
      a.set(kv[0], kv[1], "test");
    }
    return a;
  }

  @Test
  public void eachComponentOfTheSmallScenarioCostsWhatWasWorkedOutByHand() {
    Map<String, Double> c = CostModel.plan(small(), roundPrices()).byComponent();

    // Stream: ceil(10,000 / 1,000 x 2) = 20 cores -> ceil(20 / 8) = 3 nodes of m7g.2xlarge.
    // EC2 3 x 730 x 1.0 = 2,190; EMR 3 x 730 x 0.25 = 547.5; primary 730 x (0.5 + 0.125) = 456.25.
    // State: 5,000/s x 86,400 s = 432M ids x 64 B = 27.648 GB; EBS (3 + 1) x 64 + 2 x 27.648
    // = 311.296 GB x 0.1 = 31.1296. Sum 3,224.8796.
    assertThat(c.get(CostModel.STREAM), closeTo(3224.8796, CENT));

    // Replay: 5,000 x 86,400 x 30 x (1 - 0.05 - 0.05) = 11.664e9 events / 2,000 = 5.832e6
    // core-seconds = 1,620 core-hours / 8 vCPU = 202.5 instance-hours x (1.0 + 0.25) = 253.125.
    assertThat(c.get(CostModel.REPLAY), closeTo(253.125, CENT));

    // Collector: ceil(10,000 / 2,000 x 1.5) = 8 cores -> 2 c7g.xlarge, at least 3: 3 x 730 x 0.2
    // = 438. ALB 730 x 0.02 = 14.6. LCUs: 5,000 x 1,000 B x 2,628,000 s = 13,140 GB x 0.01
    // = 131.4. Sum 584.
    assertThat(c.get(CostModel.COLLECTOR), closeTo(584.0, CENT));

    // Kafka: storage 5,000 x 1,000 x 0.5 = 2.5 MB/s x 86,400 x 4 days x RF 3 = 2,592 GB / 0.8
    // = 3,240 GB -> ceil(3,240 / 1,000) = 4 brokers for storage; throughput: peak 5 MB/s, per
    // broker min(30 / 3, 40 / (2 + 1)) x 0.5 = 5 MB/s -> 1. Max 4, rounded up to 3 AZs: 6.
    // 6 x 730 x 0.4 = 1,752; storage 3,240 x 0.1 = 324. Sum 2,076.
    assertThat(c.get(CostModel.KAFKA), closeTo(2076.0, CENT));

    // S3: delivered 5,000 x 1,000 x 86,400 = 432 GB/day; raw x 0.1 = 43.2 GB/day.
    // Standard: raw 30 x 43.2 = 1,296 + quarantine 432 x 0.01 x 7 = 30.24 + checkpoints 2 x
    // 27.648 = 55.296 -> 1,381.536 GB x 0.02 = 27.63072. IA 60 x 43.2 = 2,592 x 0.01 = 25.92.
    // Glacier IR 90 x 43.2 = 3,888 x 0.002 = 7.776.
    // PUTs: raw files 10 x 60 x 730 = 438,000 (x 2: create and complete); parts 43.2e9 x
    // 730 / 24 = 1.314e12 B / 64 MiB (67,108,864) = 19,580.16; checkpoints 20 cores x 60 x 730
    // = 876,000; quarantine 60 x 730 = 43,800 -> 1,815,380.16 / 1,000 x 0.005 = 9.0769.
    // Transitions 438 x (0.01 + 0.02) = 13.14. GETs 43.2e9 x 30 / 8 MiB (8,388,608)
    // = 154,495.2 / 1,000 x 0.0004 = 0.0618. Sum 83.6054.
    assertThat(c.get(CostModel.S3), closeTo(83.6054, CENT));

    // Snowflake: every 5 min = 730 x 12 = 8,760 resumes x min(300, max(60, 30 + 60)) = 90 s
    // = 219 credits; dbt 24 x 730 / 24 = 730 runs x 300 s = 60.8333 credits; replay 2 credits;
    // (219 + 60.8333 + 2) x 2 = 563.6667. Storage 2 GB x 365 x 3 x 1.25 = 2.7375 TB x 20
    // = 54.75. Sum 618.4167.
    assertThat(c.get(CostModel.SNOWFLAKE), closeTo(618.4167, CENT));

    // MWAA: 730 x 0.5 = 365 + one worker 730 x 0.1 = 73 -> 438.
    assertThat(c.get(CostModel.MWAA), closeTo(438.0, CENT));

    // Transfer: Kafka 2.5 MB/s x 2,628,000 s = 6,570 GB; producers x 0.5 = 3,285 GB x 0.02
    // = 65.7; consumers x 0 = 0; replication and S3 free; NAT 730 x 0.05 = 36.5 + 2 GB x 730 /
    // 24 = 60.8333 GB x 0.05 = 3.0417. Sum 105.2417.
    assertThat(c.get(CostModel.TRANSFER), closeTo(105.2417, CENT));
  }

  @Test
  public void theTotalIsTheSumOfTheComponents() {
    // 3,224.8796 + 253.125 + 584 + 2,076 + 83.6056 + 618.4167 + 438 + 105.2417 = 7,383.2684
    assertThat(CostModel.plan(small(), roundPrices()).total(), closeTo(7383.2684, CENT));
  }

  @Test
  public void aMergeEveryMinuteKeepsTheWarehouseRunningAllMonth() {
    Assumptions a = small().set("mergeCadenceMinutes", "1", "test");
    // 43,800 resumes x min(60, 90) s = 730 credits x 2 = 1,460.
    assertThat(
        CostModel.plan(a, roundPrices()).sum(CostModel.SNOWFLAKE, "credits: curated MERGE"),
        closeTo(1460.0, CENT));
  }

  @Test
  public void theLiteralReadingStoresTheGivenTerabytesPerDay() {
    Assumptions a = small().set("rawTbPerDay", "1", "test");
    // 1,000 GB/day x 60 days in Standard-IA x 0.01 = 600.
    assertThat(
        CostModel.plan(a, roundPrices()).sum(CostModel.S3, "raw, Standard-IA"),
        closeTo(600.0, CENT));
  }

  @Test
  public void tieredStorageKeepsOnlyTheLocalHoursOnTheBrokers() {
    Assumptions a = small().set("kafkaLocalRetentionHours", "24", "test");
    // Local: 2.5 MB/s x 86,400 s x 1 day x RF 3 = 648 GB / 0.8 = 810 GB x 0.1 = 81 -> 1 broker
    // for storage, 1 for throughput, at least 3: 3 x 730 x 0.4 = 876. Tier: 216 GB/day x 4 days
    // = 864 GB x 0.05 = 43.2. Sum 1,000.2.
    assertThat(
        CostModel.plan(a, roundPrices()).byComponent().get(CostModel.KAFKA), closeTo(1000.2, CENT));
  }

  @Test
  public void s3StandardIsPricedByTier() {
    // 50,000 GB x 0.02 + 450,000 x 0.01 + 100,000 x 0.005 = 1,000 + 4,500 + 500 = 6,000
    assertEquals(6000.0, CostModel.tieredStandard(600_000, roundPrices()), CENT);
  }
}

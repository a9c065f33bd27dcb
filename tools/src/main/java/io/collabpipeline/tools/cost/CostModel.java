package io.collabpipeline.tools.cost;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The arithmetic: sizes each component from the workload and the measured per-core rates, and
 * prices it by the month (730 hours, AWS's convention). Every line is quantity x unit price. See
 * docs/COST.md for the reasoning behind each line.
 */
public final class CostModel {
  /** Hours in a billing month (AWS's convention: 8,760 / 12). */
  public static final double HOURS_PER_MONTH = 730;

  public static final double DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
  static final double GB = 1e9;
  static final double MIB = 1024 * 1024;

  private CostModel() {}

  /** One priced line of the plan. */
  public static final class Line {
    public final String component;
    public final String item;
    public final double quantity;
    public final String unit;
    public final double unitPrice;
    public final String priceKey;

    Line(
        String component,
        String item,
        double quantity,
        String unit,
        double unitPrice,
        String priceKey) {
      this.component = component;
      this.item = item;
      this.quantity = quantity;
      this.unit = unit;
      this.unitPrice = unitPrice;
      this.priceKey = priceKey;
    }

    /** USD per month; a price per 1,000 requests is applied per 1,000. */
    public double monthly() {
      return unit.startsWith("1,000 ") ? quantity / 1000 * unitPrice : quantity * unitPrice;
    }
  }

  /** The priced lines, the sizing facts behind them, and the total. */
  public static final class Plan {
    public final List<Line> lines = new ArrayList<>();

    /** Sizing facts in order: label to value (formatted). */
    public final Map<String, String> sizing = new LinkedHashMap<>();

    public double total() {
      double t = 0;
      for (Line l : lines) {
        t += l.monthly();
      }
      return t;
    }

    /** USD per month per component, in order of first appearance. */
    public Map<String, Double> byComponent() {
      Map<String, Double> m = new LinkedHashMap<>();
      for (Line l : lines) {
        m.merge(l.component, l.monthly(), Double::sum);
      }
      return m;
    }

    /** The sum of the lines whose item starts with {@code prefix} within {@code component}. */
    public double sum(String component, String itemPrefix) {
      double t = 0;
      for (Line l : lines) {
        if (l.component.equals(component) && l.item.startsWith(itemPrefix)) {
          t += l.monthly();
        }
      }
      return t;
    }

    void add(String component, String item, double quantity, Prices p, String key) {
      lines.add(new Line(component, item, quantity, p.unit(key), p.price(key), key));
    }

    void fact(String label, String format, Object... args) {
      sizing.put(label, String.format(Locale.ROOT, format, args));
    }
  }

  public static final String STREAM = "Flink stream (EMR)";
  public static final String REPLAY = "Replays (EMR, transient)";
  public static final String COLLECTOR = "Collector fleet";
  public static final String KAFKA = "Kafka (MSK)";
  public static final String S3 = "S3";
  public static final String SNOWFLAKE = "Snowflake";
  public static final String MWAA = "Airflow (MWAA)";
  public static final String TRANSFER = "Data transfer";

  /** The plan for these assumptions at these prices. */
  public static Plan plan(Assumptions a, Prices p) {
    a.checkConsistent();
    Plan plan = new Plan();
    double peak = a.num("peakEventsPerSecond");
    double avg = a.num("averageEventsPerSecond");
    double eventBytes = a.num("eventBytes");
    double secondsPerMonth = HOURS_PER_MONTH * 3600;
    double inputBytesPerDay = avg * eventBytes * 86400;
    double rawBytesPerDay =
        a.num("rawTbPerDay") > 0
            ? a.num("rawTbPerDay") * 1e12
            : inputBytesPerDay * a.num("rawParquetRatio");
    plan.fact(
        "delivered JSON per day (average rate x event bytes)",
        "%.2f TB uncompressed (peak %.0f MB/s)",
        inputBytesPerDay / 1e12,
        peak * eventBytes / 1e6);
    plan.fact(
        "raw Parquet store per day",
        "%.2f TB%s",
        rawBytesPerDay / 1e12,
        a.num("rawTbPerDay") > 0 ? " (--rawTbPerDay)" : " (x rawParquetRatio)");

    // --- The streaming job on EMR, sized for the peak all day.
    String si = a.text("streamInstance");
    double streamVcpu = p.spec(si + ".vcpu");
    double streamCores =
        Math.ceil(peak / a.num("streamEventsPerSecondPerCore") * a.num("streamHeadroom"));
    double streamNodes = Math.max(a.num("minStreamNodes"), Math.ceil(streamCores / streamVcpu));
    plan.fact(
        "stream cores (peak / per-core rate x headroom)",
        "%.0f -> %.0f x %s (%.0f vCPU)",
        streamCores,
        streamNodes,
        si,
        streamNodes * streamVcpu);
    plan.fact(
        "stream cores at the average rate (not used: no autoscaling assumed)",
        "%.0f",
        Math.ceil(avg / a.num("streamEventsPerSecondPerCore") * a.num("streamHeadroom")));
    plan.add(
        STREAM,
        "EC2 " + si + " core nodes x " + fmt(streamNodes),
        streamNodes * HOURS_PER_MONTH,
        p,
        "ec2." + si);
    plan.add(
        STREAM,
        "EMR charge " + si + " x " + fmt(streamNodes),
        streamNodes * HOURS_PER_MONTH,
        p,
        "emr." + si);
    String pi = a.text("primaryInstance");
    plan.add(STREAM, "EC2 " + pi + " primary node", HOURS_PER_MONTH, p, "ec2." + pi);
    plan.add(STREAM, "EMR charge " + pi + " primary node", HOURS_PER_MONTH, p, "emr." + pi);
    double stateGb = avg * a.num("dedupHorizonHours") * 3600 * a.num("dedupBytesPerId") / GB;
    plan.fact(
        "dedup state (average rate x horizon x bytes per id)",
        "%.0f GB (%.1f billion ids)",
        stateGb,
        avg * a.num("dedupHorizonHours") * 3600 / 1e9);
    double ebsGb =
        (streamNodes + 1) * a.num("rootDiskGbPerNode") + stateGb * a.num("stateDiskFactor");
    plan.add(STREAM, "EBS gp3: root volumes and RocksDB state", ebsGb, p, "ebs.gp3");

    // --- Replays: a transient EMR cluster, billed for the core-hours a replay needs.
    String ri = a.text("replayInstance");
    double replayVcpu = p.spec(ri + ".vcpu");
    double keptFraction = 1 - a.num("duplicateFraction") - a.num("quarantineFraction");
    double replayEvents = avg * 86400 * a.num("replayDays") * keptFraction;
    double replayCoreHours = replayEvents / a.num("replayEventsPerSecondPerCore") / 3600;
    double replayCoresForDeadline = Math.ceil(replayCoreHours / a.num("replayHours"));
    double replayNodes = Math.ceil(replayCoresForDeadline / replayVcpu);
    plan.fact(
        "one replay of " + fmt(a.num("replayDays")) + " days",
        "%.1f billion events, %,.0f core-hours: %.0f x %s to finish in %s h",
        replayEvents / 1e9,
        replayCoreHours,
        replayNodes,
        ri,
        fmt(a.num("replayHours")));
    double replayInstanceHours = a.num("replaysPerMonth") * replayCoreHours / replayVcpu;
    plan.add(
        REPLAY,
        "EC2 " + ri + ", " + fmt(a.num("replaysPerMonth")) + " replay(s)",
        replayInstanceHours,
        p,
        "ec2." + ri);
    plan.add(REPLAY, "EMR charge " + ri, replayInstanceHours, p, "emr." + ri);

    // --- The collector fleet behind an Application Load Balancer.
    String ci = a.text("collectorInstance");
    double collectorCores =
        Math.ceil(peak / a.num("collectorEventsPerSecondPerCore") * a.num("collectorHeadroom"));
    double collectors =
        Math.max(a.num("minCollectorInstances"), Math.ceil(collectorCores / p.spec(ci + ".vcpu")));
    plan.fact(
        "collector cores (peak / per-core rate x headroom)",
        "%.0f -> %.0f x %s",
        collectorCores,
        collectors,
        ci);
    plan.add(
        COLLECTOR,
        "EC2 " + ci + " x " + fmt(collectors),
        collectors * HOURS_PER_MONTH,
        p,
        "ec2." + ci);
    plan.add(COLLECTOR, "Application Load Balancer", HOURS_PER_MONTH, p, "alb.hour");
    double albGbPerMonth = avg * eventBytes * a.num("requestBytesFactor") * secondsPerMonth / GB;
    plan.add(COLLECTOR, "ALB LCUs (1 LCU = 1 GB/h processed)", albGbPerMonth, p, "alb.lcu");

    // --- Kafka on MSK.
    String bi = a.text("brokerInstance");
    double rf = a.num("kafkaReplication");
    double kc = a.num("kafkaCompressionRatio");
    double peakKafkaMBps = peak * eventBytes * kc / 1e6;
    String bs = bi.startsWith("kafka.") ? bi : "kafka." + bi;
    double perBrokerMBps =
        Math.min(
                p.spec(bs + ".ebsMBps") / rf,
                p.spec(bs + ".networkMBps") / (rf - 1 + a.num("consumerGroups")))
            * a.num("brokerUtilization");
    double brokersForThroughput = Math.ceil(peakKafkaMBps / perBrokerMBps);
    double kafkaBytesPerDay = avg * eventBytes * kc * 86400;
    double localHours = a.num("kafkaLocalRetentionHours");
    boolean tiered = localHours > 0;
    if (tiered && localHours >= a.num("kafkaRetentionDays") * 24) {
      throw new io.collabpipeline.pipelines.UsageException(
          "--kafkaLocalRetentionHours must be below --kafkaRetentionDays x 24 (or 0: no tiered"
              + " storage)");
    }
    double localDays = tiered ? localHours / 24 : a.num("kafkaRetentionDays");
    double kafkaStorageGb = kafkaBytesPerDay * localDays * rf / GB / a.num("kafkaStorageFill");
    double brokersForStorage = Math.ceil(kafkaStorageGb / p.spec("kafka.maxStorageGbPerBroker"));
    double azs = a.num("availabilityZones");
    double brokers =
        Math.ceil(Math.max(azs, Math.max(brokersForThroughput, brokersForStorage)) / azs) * azs;
    plan.fact(
        "Kafka brokers",
        "%.0f x %s (peak %.0f MB/s lz4 in; %.1f MB/s per broker: %.0f for throughput, %.0f for"
            + " storage)",
        brokers,
        bs,
        peakKafkaMBps,
        perBrokerMBps,
        brokersForThroughput,
        brokersForStorage);
    plan.add(
        KAFKA, "brokers " + bs + " x " + fmt(brokers), brokers * HOURS_PER_MONTH, p, "msk." + bs);
    plan.add(
        KAFKA,
        "broker storage (" + fmt(localDays * 24) + " h x RF " + fmt(rf) + ")",
        kafkaStorageGb,
        p,
        "msk.storage");
    if (tiered) {
      plan.add(
          KAFKA,
          "tiered storage (" + fmt(a.num("kafkaRetentionDays")) + " days, one copy)",
          kafkaBytesPerDay * a.num("kafkaRetentionDays") / GB,
          p,
          "msk.tieredStorage");
    }

    // --- S3: raw with lifecycle tiers, quarantine, checkpoints, requests.
    double stdDays = a.num("iaAfterDays");
    double iaDays = a.num("glacierIrAfterDays") - a.num("iaAfterDays");
    double girDays = a.num("rawRetentionDays") - a.num("glacierIrAfterDays");
    double rawStdGb = rawBytesPerDay * stdDays / GB;
    double quarantineGb =
        inputBytesPerDay * a.num("quarantineStoreRatio") * a.num("quarantineRetentionDays") / GB;
    double checkpointGb = stateGb * a.num("retainedCheckpoints");
    double standardGb = rawStdGb + quarantineGb + checkpointGb;
    double standardPrice =
        standardGb == 0
            ? p.price("s3.standard.first50tb")
            : tieredStandard(standardGb, p) / standardGb;
    plan.lines.add(
        new Line(
            S3,
            "raw, Standard (days 0-" + fmt(stdDays) + ")",
            rawStdGb,
            "GB-month",
            standardPrice,
            "s3.standard.*"));
    plan.add(
        S3,
        "raw, Standard-IA (days " + fmt(stdDays) + "-" + fmt(stdDays + iaDays) + ")",
        rawBytesPerDay * iaDays / GB,
        p,
        "s3.standardIa");
    plan.add(
        S3,
        "raw, Glacier Instant Retrieval (days "
            + fmt(stdDays + iaDays)
            + "-"
            + fmt(stdDays + iaDays + girDays)
            + ")",
        rawBytesPerDay * girDays / GB,
        p,
        "s3.glacierIr");
    plan.lines.add(
        new Line(
            S3,
            "quarantine, Standard (" + fmt(a.num("quarantineRetentionDays")) + " days)",
            quarantineGb,
            "GB-month",
            standardPrice,
            "s3.standard.*"));
    plan.lines.add(
        new Line(
            S3, "checkpoints, Standard", checkpointGb, "GB-month", standardPrice, "s3.standard.*"));
    double rawFilesPerMonth = a.num("rawFilesPerMinute") * 60 * HOURS_PER_MONTH;
    double rawBytesPerMonth = rawBytesPerDay * DAYS_PER_MONTH;
    double parts = rawBytesPerMonth / (a.num("uploadPartMiB") * MIB);
    double checkpointPuts = streamCores * 60 / a.num("checkpointMinutes") * HOURS_PER_MONTH;
    double quarantinePuts = 60 * HOURS_PER_MONTH;
    plan.add(
        S3,
        "PUT-class requests (raw files and parts, checkpoints, quarantine)",
        2 * rawFilesPerMonth + parts + checkpointPuts + quarantinePuts,
        p,
        "s3.put");
    plan.add(S3, "lifecycle transitions to Standard-IA", rawFilesPerMonth, p, "s3.transitionToIa");
    plan.add(
        S3, "lifecycle transitions to Glacier IR", rawFilesPerMonth, p, "s3.transitionToGlacierIr");
    double replayGets =
        a.num("replaysPerMonth")
            * rawBytesPerDay
            * a.num("replayDays")
            / (a.num("replayGetMiB") * MIB);
    plan.add(S3, "GET requests of replays", replayGets, p, "s3.get");
    plan.fact(
        "S3 at steady state",
        "%.0f TB Standard, %.0f TB Standard-IA, %.0f TB Glacier IR",
        standardGb / 1000,
        rawBytesPerDay * iaDays / 1e12,
        rawBytesPerDay * girDays / 1e12);

    // --- Snowflake: MERGE cadence, dbt, replay commits, 3 years of curated storage.
    double cadenceSeconds = a.num("mergeCadenceMinutes") * 60;
    double billedPerCycle =
        Math.min(cadenceSeconds, Math.max(60, a.num("mergeSeconds") + a.num("autoSuspendSeconds")));
    double cycles = HOURS_PER_MONTH * 3600 / cadenceSeconds;
    double mergeCredits = cycles * billedPerCycle / 3600 * a.num("mergeWarehouseCreditsPerHour");
    plan.fact(
        "Snowflake MERGE warehouse",
        "resumed every %s min, billed %.0f s of each (%.0f%% of the hour)",
        fmt(a.num("mergeCadenceMinutes")),
        billedPerCycle,
        100 * billedPerCycle / cadenceSeconds);
    plan.add(
        SNOWFLAKE,
        "credits: curated MERGE every " + fmt(a.num("mergeCadenceMinutes")) + " min",
        mergeCredits,
        p,
        "snowflake.credit");
    double xs = p.spec("snowflake.xs.creditsPerHour");
    double dbtCredits =
        a.num("dbtRunsPerDay")
            * DAYS_PER_MONTH
            * Math.max(60, a.num("dbtMinutesPerRun") * 60)
            / 3600
            * xs;
    plan.add(SNOWFLAKE, "credits: dbt builds (XS)", dbtCredits, p, "snowflake.credit");
    plan.add(
        SNOWFLAKE,
        "credits: replay stage, diff, commit (XS)",
        a.num("replaysPerMonth") * a.num("snowflakeReplayCreditHours") * xs,
        p,
        "snowflake.credit");
    double curatedTb =
        a.num("curatedGbPerDay")
            * 365
            * a.num("curatedYears")
            * a.num("snowflakeStorageOverhead")
            / 1000;
    plan.add(
        SNOWFLAKE,
        "storage: " + fmt(a.num("curatedYears")) + " years of curated tables",
        curatedTb,
        p,
        "snowflake.storage");

    // --- Airflow.
    plan.add(MWAA, "mw1.small environment", HOURS_PER_MONTH, p, "mwaa.small");
    plan.add(
        MWAA,
        "extra mw1.small workers",
        a.num("mwaaExtraWorkers") * HOURS_PER_MONTH,
        p,
        "mwaa.smallWorker");

    // --- Data transfer.
    double kafkaGbPerMonth = avg * eventBytes * kc * secondsPerMonth / GB;
    plan.add(
        TRANSFER,
        "collectors to brokers across AZs",
        kafkaGbPerMonth * a.num("producerCrossAzFraction"),
        p,
        "transfer.interAz");
    plan.add(
        TRANSFER,
        "brokers to the job across AZs",
        kafkaGbPerMonth * a.num("consumerGroups") * a.num("consumerCrossAzFraction"),
        p,
        "transfer.interAz");
    plan.add(
        TRANSFER,
        "Kafka replication between brokers (MSK: free)",
        kafkaGbPerMonth * (rf - 1),
        p,
        "msk.replication");
    plan.add(
        TRANSFER,
        "EMR to S3 through the gateway endpoint (free)",
        rawBytesPerMonth / GB,
        p,
        "s3.gatewayEndpoint");
    plan.add(
        TRANSFER,
        "NAT gateways (EMR to Snowflake)",
        a.num("natGateways") * HOURS_PER_MONTH,
        p,
        "nat.hour");
    plan.add(
        TRANSFER,
        "NAT processing: curated loads to Snowflake (same region)",
        a.num("curatedGbPerDay") * DAYS_PER_MONTH,
        p,
        "nat.gb");
    return plan;
  }

  /** S3 Standard's monthly price of {@code gb}: first 50 TB, next 450 TB, then the rest. */
  static double tieredStandard(double gb, Prices p) {
    double first = Math.min(gb, 50_000);
    double next = Math.min(Math.max(gb - 50_000, 0), 450_000);
    double rest = Math.max(gb - 500_000, 0);
    return first * p.price("s3.standard.first50tb")
        + next * p.price("s3.standard.next450tb")
        + rest * p.price("s3.standard.over500tb");
  }

  static String fmt(double v) {
    return v == Math.rint(v)
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%s", v);
  }
}

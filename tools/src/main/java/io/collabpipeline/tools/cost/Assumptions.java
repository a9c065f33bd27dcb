package io.collabpipeline.tools.cost;

import io.collabpipeline.pipelines.UsageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every input of the cost model, each a command-line option {@code --name=value} with a default and
 * a description printed with the plan. The two throughput figures of the graph have no default:
 * they come from a benchmark results file or from explicit options.
 */
public final class Assumptions {
  /** What values an option accepts. */
  enum Kind {
    /** A number above 0. */
    POSITIVE,
    /** A number of at least 0. */
    NON_NEGATIVE,
    /** A number in [0, 1). */
    FRACTION,
    /** An instance type named in the price table. */
    TEXT
  }

  /** One option: name, kind, default (null: none), description. */
  static final class Def {
    final String name;
    final Kind kind;
    final String defaultValue;
    final String description;

    Def(String name, Kind kind, String defaultValue, String description) {
      this.name = name;
      this.kind = kind;
      this.defaultValue = defaultValue;
      this.description = description;
    }
  }

  static final List<Def> DEFS = new ArrayList<>();

  private static void def(String name, Kind kind, String defaultValue, String description) {
    DEFS.add(new Def(name, kind, defaultValue, description));
  }

  static {
    // The measured figures.
    def(
        "streamEventsPerSecondPerCore",
        Kind.POSITIVE,
        null,
        "full graph on Flink streaming, events/s per core (benchmark mode streaming)");
    def(
        "replayEventsPerSecondPerCore",
        Kind.POSITIVE,
        null,
        "raw-store replay, events/s per core (benchmark mode replay)");
    def(
        "collectorEventsPerSecondPerCore",
        Kind.POSITIVE,
        "10000",
        "collector, accepted events/s per core (README, collector mode, 2026-12-01: ~20,000"
            + " events/s on 2 shared cores with the broker and load client on them too)");
    // The workload.
    def("peakEventsPerSecond", Kind.POSITIVE, "250000", "weekday peak (the brief)");
    def(
        "averageEventsPerSecond",
        Kind.POSITIVE,
        "155000",
        "24-hour average: 20 TB/day of 1.5 KB JSON events (the plan's reading of the brief)");
    def(
        "eventBytes",
        Kind.POSITIVE,
        "1478",
        "average delivered JSON event, bytes (the generator's mix; the brief says 1.5 KB)");
    def("duplicateFraction", Kind.FRACTION, "0.03", "duplicate deliveries (not in the raw store)");
    def("quarantineFraction", Kind.FRACTION, "0.01", "quarantined deliveries");
    def(
        "rawParquetRatio",
        Kind.POSITIVE,
        "0.1005",
        "raw Parquet store bytes (raw + raw-duplicates, Snappy) / delivered NDJSON bytes (measured"
            + " 2026-12-02 on 20,000 generated deliveries)");
    def(
        "quarantineStoreRatio",
        Kind.NON_NEGATIVE,
        "0.0126",
        "quarantine store bytes (JSON lines) / delivered NDJSON bytes (measured, same run)");
    def(
        "rawTbPerDay",
        Kind.NON_NEGATIVE,
        "0",
        "raw store TB/day; 0 = computed (average rate x event bytes x rawParquetRatio);"
            + " 20 = the brief's '20 TB/day compressed' read literally");
    // The stream.
    def("streamInstance", Kind.TEXT, "m7g.2xlarge", "EMR core node type for the streaming job");
    def(
        "streamHeadroom",
        Kind.POSITIVE,
        "1.3",
        "stream cores = peak / per-core rate x this (checkpoints, catch-up after a failover)");
    def("minStreamNodes", Kind.POSITIVE, "2", "fewest EMR core nodes");
    def("primaryInstance", Kind.TEXT, "m7g.xlarge", "EMR primary node type (one)");
    def("dedupHorizonHours", Kind.POSITIVE, "24", "dedup horizon (the job's default)");
    def(
        "dedupBytesPerId",
        Kind.POSITIVE,
        "64",
        "dedup state per remembered event id (issue 11's bound; --modes=dedupstate measured 27.6"
            + " in RocksDB, 39.5 since round 29)");
    def(
        "stateDiskFactor",
        Kind.POSITIVE,
        "2",
        "local RocksDB disk per byte of state (space amplification, local checkpoint copy)");
    def("rootDiskGbPerNode", Kind.NON_NEGATIVE, "64", "EBS root and log volume per node, GB");
    def("checkpointMinutes", Kind.POSITIVE, "1", "checkpoint interval");
    def("retainedCheckpoints", Kind.POSITIVE, "2", "checkpoints kept in S3");
    // Replays.
    def(
        "replayInstance",
        Kind.TEXT,
        "m7g.2xlarge",
        "EMR node type of the transient replay cluster");
    def("replayDays", Kind.POSITIVE, "30", "days of raw store one replay reads");
    def("replayHours", Kind.POSITIVE, "24", "a replay must finish within this (sizes its cluster)");
    def("replaysPerMonth", Kind.NON_NEGATIVE, "1", "replays of replayDays each per month");
    // The collector fleet.
    def("collectorInstance", Kind.TEXT, "c7g.xlarge", "collector EC2 instance type");
    def(
        "collectorHeadroom",
        Kind.POSITIVE,
        "1.5",
        "collector cores = peak / per-core rate x this (carry the peak with one AZ of three lost)");
    def("minCollectorInstances", Kind.POSITIVE, "3", "fewest collectors (one per AZ)");
    def(
        "requestBytesFactor",
        Kind.POSITIVE,
        "1.0",
        "bytes through the load balancer per event byte (1.0: the collector takes no gzip bodies;"
            + " gzip of 100-event batches measured 0.198)");
    // Kafka.
    def("brokerInstance", Kind.TEXT, "kafka.m7g.xlarge", "MSK broker type");
    def("kafkaReplication", Kind.POSITIVE, "3", "replication factor");
    def("kafkaRetentionDays", Kind.POSITIVE, "3", "retention of the events topic");
    def(
        "kafkaCompressionRatio",
        Kind.POSITIVE,
        "0.43",
        "lz4 bytes / JSON bytes in producer batches (measured with lz4 -1 on 16 KiB chunks of"
            + " generated NDJSON; 0.33 at 64 KiB, 0.31 at 256 KiB)");
    def(
        "kafkaLocalRetentionHours",
        Kind.NON_NEGATIVE,
        "0",
        "0: the whole retention on broker disks; N: MSK tiered storage, the last N hours on"
            + " broker disks (x RF) and the whole retention once in the tier (MSK: at least 3"
            + " days of retention.ms)");
    def("consumerGroups", Kind.POSITIVE, "1", "consumer groups reading the whole topic");
    def(
        "brokerUtilization",
        Kind.FRACTION,
        "0.5",
        "share of a broker's baseline EBS and network throughput used at peak");
    def("kafkaStorageFill", Kind.FRACTION, "0.8", "provisioned broker storage kept this full");
    def("availabilityZones", Kind.POSITIVE, "3", "brokers come in multiples of this");
    // S3.
    def("rawRetentionDays", Kind.POSITIVE, "180", "raw store retention (the job's --maxEventAge)");
    def("iaAfterDays", Kind.POSITIVE, "30", "lifecycle: Standard to Standard-IA after");
    def(
        "glacierIrAfterDays",
        Kind.POSITIVE,
        "90",
        "lifecycle: Standard-IA to Glacier Instant Retrieval after");
    def("quarantineRetentionDays", Kind.POSITIVE, "7", "quarantine store retention (Standard)");
    def(
        "rawFilesPerMinute",
        Kind.POSITIVE,
        "32",
        "raw Parquet files written per minute (shards x partitions of 1-minute windows)");
    def("uploadPartMiB", Kind.POSITIVE, "64", "multipart upload part size");
    def("replayGetMiB", Kind.POSITIVE, "8", "bytes per ranged GET when a replay reads Parquet");
    // Snowflake.
    def(
        "mergeCadenceMinutes",
        Kind.POSITIVE,
        "2",
        "the curated MERGE runs every N minutes (P95 event-to-queryable under 3 minutes)");
    def("mergeSeconds", Kind.POSITIVE, "30", "one MERGE round of all curated tables on an XS");
    def(
        "autoSuspendSeconds",
        Kind.NON_NEGATIVE,
        "60",
        "warehouse AUTO_SUSPEND; each resume bills at least 60 s");
    def("mergeWarehouseCreditsPerHour", Kind.POSITIVE, "1", "MERGE warehouse size (XS = 1)");
    def("dbtRunsPerDay", Kind.NON_NEGATIVE, "24", "dbt builds per day (XS warehouse)");
    def("dbtMinutesPerRun", Kind.POSITIVE, "5", "one dbt build on an XS");
    def(
        "snowflakeReplayCreditHours",
        Kind.NON_NEGATIVE,
        "2",
        "XS hours per replay (COPY into stage tables, diff, commit)");
    def(
        "curatedGbPerDay",
        Kind.NON_NEGATIVE,
        "5",
        "curated rows added per day, GB compressed in Snowflake (estimate, not measured)");
    def("curatedYears", Kind.POSITIVE, "3", "curated tables kept (month costed: the last)");
    def(
        "snowflakeStorageOverhead",
        Kind.POSITIVE,
        "1.25",
        "Time Travel and Fail-safe copies of MERGE-rewritten micro-partitions");
    // Airflow.
    def(
        "mwaaExtraWorkers",
        Kind.NON_NEGATIVE,
        "0",
        "MWAA mw1.small workers beyond the included one");
    // Data transfer.
    def(
        "producerCrossAzFraction",
        Kind.FRACTION,
        "0.667",
        "share of collector-to-broker bytes crossing AZs (partition leader in another of 3 AZs)");
    def(
        "consumerCrossAzFraction",
        Kind.FRACTION,
        "0.667",
        "share of broker-to-job bytes crossing AZs (0 with rack-aware follower fetching:"
            + " client.rack, not configured today)");
    def("natGateways", Kind.NON_NEGATIVE, "1", "NAT gateways (the EMR subnet's way to Snowflake)");
    // Budget.
    def("budget", Kind.POSITIVE, "35000", "incremental budget, USD/month (the brief)");
    def("aim", Kind.POSITIVE, "24000", "the aim, USD/month (issue 11: 30% under the budget)");
  }

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> origins = new LinkedHashMap<>();

  public Assumptions() {
    for (Def d : DEFS) {
      if (d.defaultValue != null) {
        values.put(d.name, d.defaultValue);
        origins.put(d.name, "default");
      }
    }
  }

  /** Whether {@code name} is an option of the model. */
  public static boolean known(String name) {
    return find(name) != null;
  }

  /** Sets an option, checked against its kind; {@code origin} says where the value came from. */
  public Assumptions set(String name, String value, String origin) {
    Def d = find(name);
    if (d == null) {
      throw new UsageException("unknown option --" + name + " (bin/collab-cost --help lists them)");
    }
    if (d.kind != Kind.TEXT) {
      double v;
      try {
        v = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new UsageException("--" + name + "=" + value + " must be a number");
      }
      boolean ok =
          !Double.isNaN(v)
              && !Double.isInfinite(v)
              && (d.kind == Kind.POSITIVE
                  ? v > 0
                  : d.kind == Kind.NON_NEGATIVE ? v >= 0 : v >= 0 && v < 1);
      if (!ok) {
        throw new UsageException(
            "--"
                + name
                + "="
                + value
                + (d.kind == Kind.POSITIVE
                    ? " must be a number above 0"
                    : d.kind == Kind.NON_NEGATIVE
                        ? " must be a number of at least 0"
                        : " must be a fraction from 0 to below 1"));
      }
    } else if (value.isEmpty()) {
      throw new UsageException("--" + name + "= needs an instance type, e.g. " + d.defaultValue);
    }
    values.put(name, value);
    origins.put(name, origin);
    return this;
  }

  public boolean has(String name) {
    return values.containsKey(name);
  }

  public double num(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new UsageException("no --" + name + "= given");
    }
    return Double.parseDouble(v);
  }

  public String text(String name) {
    return values.get(name);
  }

  /** Where a value came from: "default", "option", or the results file. */
  public String origin(String name) {
    return origins.getOrDefault(name, "");
  }

  /** Checks across options: one line naming what contradicts what. */
  public void checkConsistent() {
    if (num("averageEventsPerSecond") > num("peakEventsPerSecond")) {
      throw new UsageException(
          "--averageEventsPerSecond="
              + values.get("averageEventsPerSecond")
              + " is above --peakEventsPerSecond="
              + values.get("peakEventsPerSecond"));
    }
    if (num("duplicateFraction") + num("quarantineFraction") >= 1) {
      throw new UsageException("--duplicateFraction plus --quarantineFraction must stay below 1");
    }
    if (!(num("iaAfterDays") < num("glacierIrAfterDays")
        && num("glacierIrAfterDays") < num("rawRetentionDays"))) {
      throw new UsageException(
          "lifecycle days must grow: --iaAfterDays < --glacierIrAfterDays < --rawRetentionDays");
    }
  }

  /** Name, value, origin and description of every option, in definition order. */
  public List<String[]> listing() {
    List<String[]> rows = new ArrayList<>();
    for (Def d : DEFS) {
      rows.add(
          new String[] {
            d.name,
            values.getOrDefault(d.name, "(none)"),
            origins.getOrDefault(d.name, ""),
            d.description
          });
    }
    return Collections.unmodifiableList(rows);
  }

  /** The usage text: every option with its default. */
  public static String usage() {
    StringBuilder b = new StringBuilder();
    for (Def d : DEFS) {
      b.append(
          String.format(
              Locale.ROOT,
              "  --%s=%s%n      %s%n",
              d.name,
              d.defaultValue == null ? "N (no default)" : d.defaultValue,
              d.description));
    }
    return b.toString();
  }

  private static Def find(String name) {
    for (Def d : DEFS) {
      if (d.name.equals(name)) {
        return d;
      }
    }
    return null;
  }
}

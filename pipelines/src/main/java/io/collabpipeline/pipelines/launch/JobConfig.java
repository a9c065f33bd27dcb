package io.collabpipeline.pipelines.launch;

import io.collabpipeline.pipelines.Durations;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.GeneratorConfig;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.kafka.KafkaSourceConfig;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.pipelines.options.SecretOptions;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.pipelines.warehouse.Warehouses;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.grouping.ShardChunks;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The command line turned into typed values, checked before anything runs: every mistake becomes a
 * {@link UsageException} whose one line names the option and says how to fix it.
 */
public final class JobConfig {
  /** The sources this build reads. */
  public enum SourceKind {
    GENERATOR,
    FILES,
    /** Kafka topics ({@code --kafka*} options): always a streaming job. */
    KAFKA,
    /**
     * A bounded replay of the raw store for a range of event dates ({@code --from}, {@code --to}).
     */
    RAW,
    /** Re-validation of the quarantined records of a range of arrival dates. */
    QUARANTINE;

    /** Whether this source is a replay over {@code --from..--to}. */
    public boolean isReplay() {
      return this == RAW || this == QUARANTINE;
    }
  }

  /**
   * The allowed lateness of file inputs: every event in a file counts as on time (see {@link
   * #from}).
   */
  public static final Duration FILES_ALLOWED_LATENESS = Duration.standardDays(3650);

  /**
   * The allowed lateness of a raw-store replay: every event is on time, as if it had arrived on
   * time, once.
   */
  public static final Duration REPLAY_ALLOWED_LATENESS = FILES_ALLOWED_LATENESS;

  /** The JDBC URL prefix of the embedded default warehouse, a local DuckDB file. */
  static final String DUCKDB_URL_PREFIX = "jdbc:duckdb:";

  /** The longest range of a replay, in days (both ends included). */
  public static final int MAX_REPLAY_DAYS = 30;

  public final SourceKind source;
  public final String input;
  public final WorkloadSpec workload;
  public final long ratePerSecond;
  public final boolean streaming;
  public final String dataDir;
  public final GraphConfig graph;
  public final int progressSeconds;

  /** The dates of a replay ({@link SourceKind#isReplay()}), else null. */
  public final @Nullable ReplayScope replayRange;

  /** A replay that reports what it would change and writes nothing. */
  public final boolean dryRun;

  /** The Kafka source of {@link SourceKind#KAFKA}, else null. */
  public final @Nullable KafkaSourceConfig kafka;

  /**
   * How a streaming job on Flink starts: resumed from a retained checkpoint (and its generation),
   * or fresh.
   */
  public final ResumeConfig resume;

  private JobConfig(
      SourceKind source,
      String input,
      WorkloadSpec workload,
      long ratePerSecond,
      boolean streaming,
      String dataDir,
      GraphConfig graph,
      int progressSeconds,
      @Nullable ReplayScope replayRange,
      boolean dryRun,
      @Nullable KafkaSourceConfig kafka,
      ResumeConfig resume) {
    this.source = source;
    this.input = input;
    this.workload = workload;
    this.ratePerSecond = ratePerSecond;
    this.streaming = streaming;
    this.dataDir = dataDir;
    this.graph = graph;
    this.progressSeconds = progressSeconds;
    this.replayRange = replayRange;
    this.dryRun = dryRun;
    this.kafka = kafka;
    this.resume = resume;
  }

  /**
   * This job with {@code graph} instead of its graph (the launcher sets what it learns at start,
   * e.g. {@link GraphConfig#seenWholeFrom()}).
   */
  public JobConfig withGraph(GraphConfig graph) {
    return new JobConfig(
        source,
        input,
        workload,
        ratePerSecond,
        streaming,
        dataDir,
        graph,
        progressSeconds,
        replayRange,
        dryRun,
        kafka,
        resume);
  }

  public static JobConfig from(CollabPipelineOptions o) {
    SourceKind source = parseSource(o.getSource());
    String input = o.getInput();
    long inputBytes = 0;
    if (source == SourceKind.FILES) {
      if (input == null || input.isEmpty()) {
        throw new UsageException(
            "--input is required with --source=files: give a glob of newline-delimited JSON files, "
                + "e.g. --input='/data/in/*.json.gz'");
      }
      inputBytes = inputBytesOf(input);
    } else if (input != null) {
      throw new UsageException(
          "--input is only read with --source=files; drop it or add --source=files");
    }
    ReplayScope replayRange = replayRange(source, o);
    if (Boolean.TRUE.equals(o.getDryRun()) && !source.isReplay()) {
      throw new UsageException(
          "--dryRun only applies to replays; add --source=raw (or quarantine) --from=.. --to=..");
    }
    if (source.isReplay() && o.isStreaming()) {
      throw new UsageException(
          "--streaming=true does not apply to --source="
              + source.name().toLowerCase(Locale.ROOT)
              + ": a replay is a bounded job; drop --streaming");
    }
    Long givenGeneration = o.getGeneration();
    if (givenGeneration != null && givenGeneration < 1) {
      throw new UsageException(
          "--generation="
              + givenGeneration
              + " must be a positive whole number, e.g. the run's start in epoch milliseconds");
    }

    WorkloadSpec workload = GeneratorConfig.workloadFrom(o);
    if (source == SourceKind.GENERATOR) {
      inputBytes = workload.deliveries() * GENERATED_EVENT_BYTES;
    }

    String dataDir = absolute(o.getDataDir(), "dataDir");
    String raw =
        o.getRawStore() != null ? locationOption("rawStore", o.getRawStore()) : dataDir + "/raw";
    String quarantine =
        o.getQuarantineStore() != null
            ? locationOption("quarantineStore", o.getQuarantineStore())
            : dataDir + "/quarantine";
    String warehouseUrl =
        o.getWarehouseUrl() != null
            ? o.getWarehouseUrl()
            : DUCKDB_URL_PREFIX + dataDir + "/warehouse.duckdb";
    // Live runs and replays alike: Snowflake replays stage in its replay stage tables and commit
    // with commit_replay.sql.
    WarehouseTarget warehouse = WarehouseTargets.fromOptions(warehouseUrl, o);
    KafkaSourceConfig kafka = null;
    if (source == SourceKind.KAFKA) {
      try {
        kafka = KafkaSourceConfig.fromOptions(o);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }
    boolean streaming = o.isStreaming() || source == SourceKind.KAFKA;
    if (streaming && o.as(FlinkPipelineOptions.class).getFasterCopy()) {
      throw new UsageException(
          "--fasterCopy=true is refused for a streaming job: the heap state backend would then"
              + " share the accumulators a checkpoint is still writing, and a restore could count"
              + " events twice; drop --fasterCopy");
    }
    // How a streaming job starts (resumed from its latest retained checkpoint, or fresh), and so
    // its generation: a resumed stream continues the generation of the checkpoint's run.
    ResumeConfig resume =
        ResumeConfig.from(
            o, source, streaming, dataDir, kafka, givenGeneration, System.currentTimeMillis());
    long generation = resume.generation;
    if (o.getRawShards() < 1) {
      throw new UsageException("--rawShards=" + o.getRawShards() + " must be at least 1");
    }
    if (o.getMaxRecordBytes() < 1024) {
      throw new UsageException(
          "--maxRecordBytes=" + o.getMaxRecordBytes() + " must be at least 1024");
    }

    KeyReference key;
    try {
      key = KeyReference.parse(o.getPseudonymKey());
      key.resolve();
    } catch (RuntimeException e) {
      throw new UsageException(
          SecretOptions.shown("pseudonymKey", o.getPseudonymKey(), KeyReference.DEV_REFERENCE)
              + ": "
              + e.getMessage());
    }
    // A raw replay reads events minimized when they were first validated: it never uses the key.
    if (key.isInsecure() && source != SourceKind.RAW && !Boolean.TRUE.equals(o.getAllowDevKey())) {
      String notLocal = notTheLocalDefault(source, raw, quarantine, warehouseUrl);
      if (notLocal != null) {
        throw new UsageException(
            "--pseudonymKey=dev is the public development key, whose pseudonyms anyone can reverse, and "
                + notLocal
                + ": give a real key by reference (--pseudonymKey=env:VAR or file:/path), or --allowDevKey=true"
                + " for a throwaway run");
      }
    }

    String userKeyStore = userKeyStore(o, source, raw, quarantine, warehouseUrl);

    Duration allowedLateness = Durations.parse("allowedLateness", o.getAllowedLateness());
    if (source == SourceKind.FILES) {
      // A file is one batch delivery whose arrival time is its modification time, not each event's:
      // judged by that,
      // a backfill of last week's events would be "too late" for every window. Every event of a
      // file is on time.
      allowedLateness = FILES_ALLOWED_LATENESS;
    }
    Duration dedupHorizon = Durations.parse("dedupHorizon", o.getDedupHorizon());
    Duration maxEventAge = Durations.parse("maxEventAge", o.getMaxEventAge());
    if (!maxEventAge.isLongerThan(Duration.ZERO)) {
      throw new UsageException(
          "--maxEventAge=" + o.getMaxEventAge() + " must be longer than 0, e.g. 180d");
    }
    WindowingPolicy windowing =
        WindowingPolicy.defaults()
            .withAllowedLateness(allowedLateness)
            .withEarlyFiringDelay(Durations.parse("earlyFiringDelay", o.getEarlyFiringDelay()));
    GraphConfig graph =
        GraphConfig.builder()
            .setPseudonymKey(key)
            .setUserKeyStore(userKeyStore)
            .setMaxRecordBytes(o.getMaxRecordBytes())
            .setMaxEventTimeAhead(Durations.parse("maxEventTimeAhead", o.getMaxEventTimeAhead()))
            .setMaxEventAge(maxEventAge)
            .setDedupHorizon(dedupHorizon)
            .setWindowing(windowing)
            .setRawStore(raw)
            .setQuarantineStore(quarantine)
            .setWarehouse(warehouse)
            .setRawShards(o.getRawShards())
            .setDedupShards(dedupShardsFor(inputBytes))
            .setGeneration(generation)
            .build();
    if (source == SourceKind.RAW) {
      graph = forRawReplay(graph, replayRange);
      requireRawPartitions(raw, replayRange);
    } else if (source == SourceKind.QUARANTINE) {
      // The re-validated records are deduplicated over all the arrival dates read.
      graph =
          graph.toBuilder()
              .setDedupHorizon(atLeastRange(graph.dedupHorizon(), replayRange))
              .build();
    }
    if (o.getProgressSeconds() < 0) {
      throw new UsageException(
          "--progressSeconds=" + o.getProgressSeconds() + " must be 0 (off) or more");
    }
    return new JobConfig(
        source,
        input,
        workload,
        o.getRate(),
        streaming,
        dataDir,
        graph,
        o.getProgressSeconds(),
        replayRange,
        Boolean.TRUE.equals(o.getDryRun()),
        kafka,
        resume);
  }

  /**
   * {@code --userKeyStore}, checked: opened once here (as the key is resolved once), so a store
   * that cannot be opened is a usage error at launch rather than a worker failing later; refused as
   * {@code none} where the dev key is refused (unless {@code --allowDevKey=true}), since without it
   * an erasure cannot crypto-shred; and never the warehouse's database.
   */
  private static String userKeyStore(
      CollabPipelineOptions o,
      SourceKind source,
      String raw,
      String quarantine,
      String warehouseUrl) {
    String reference = o.getUserKeyStore();
    if (UserKeyStores.isNone(reference)) {
      // A raw replay reads events pseudonymized when they were first validated: no store needed.
      if (source != SourceKind.RAW && !Boolean.TRUE.equals(o.getAllowDevKey())) {
        String notLocal = notTheLocalDefault(source, raw, quarantine, warehouseUrl);
        if (notLocal != null) {
          throw new UsageException(
              "--userKeyStore=none cannot crypto-shred an erased user's pseudonyms, and "
                  + notLocal
                  + ": pass --userKeyStore=jdbc:postgresql://host/db (or a directory on a single"
                  + " machine), or --allowDevKey=true for a throwaway run");
        }
      }
      return UserKeyStores.NONE;
    }
    String ref = reference.trim();
    if (ref.startsWith("jdbc:") && sameDatabase(ref, warehouseUrl)) {
      throw new UsageException(
          "--userKeyStore="
              + UserKeyStores.shown(ref)
              + " is the warehouse: the per-user secrets must never be where analysts read; give"
              + " a database of their own");
    }
    try (UserKeyStore store = UserKeyStores.open(ref)) {
      // opened and closed: it exists, and its table or directory is there
    } catch (IOException | RuntimeException e) {
      throw new UsageException(
          "--userKeyStore="
              + UserKeyStores.shown(ref)
              + ": "
              + CommandLine.firstLine(e.getMessage()));
    }
    return ref;
  }

  private static boolean sameDatabase(String a, String b) {
    return withoutParameters(a).equalsIgnoreCase(withoutParameters(b));
  }

  private static String withoutParameters(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  /**
   * Why a job is not the local embedded default (and so must not run with the public development
   * key), or null if it is: a Kafka source, an S3 (or other URI) store, or a warehouse other than a
   * local DuckDB file. Also the erasure job's rule ({@code source} null: it reads no source).
   */
  public static @Nullable String notTheLocalDefault(
      SourceKind source, String raw, String quarantine, String warehouseUrl) {
    if (source == SourceKind.KAFKA) {
      return "the source is Kafka";
    }
    if (raw.contains("://")) {
      return "the raw store is " + raw;
    }
    if (quarantine.contains("://")) {
      return "the quarantine is " + quarantine;
    }
    if (!warehouseUrl.startsWith(DUCKDB_URL_PREFIX)) {
      return "the warehouse is " + Warehouses.redact(warehouseUrl);
    }
    return null;
  }

  /**
   * The locations given on the command line that go through Beam's file systems (the stores and the
   * input glob): what {@code S3Setup.configure} checks for {@code s3://} before anything is read.
   */
  public static String[] locations(CollabPipelineOptions o) {
    List<String> l = new ArrayList<>();
    for (String s : new String[] {o.getRawStore(), o.getQuarantineStore(), o.getInput()}) {
      if (s != null) {
        l.add(s);
      }
    }
    return l.toArray(new String[0]);
  }

  /**
   * The settings of a raw-store replay of {@code range}, from those of the live graph: every event
   * on time ({@link #REPLAY_ALLOWED_LATENESS}: a replay computes every window as if every event had
   * arrived on time, which is how late data is folded in), and a dedup horizon of at least the
   * range plus a day, so that dedup spans the whole range.
   */
  public static GraphConfig forRawReplay(GraphConfig graph, ReplayScope range) {
    return graph.toBuilder()
        .setWindowing(graph.windowing().withAllowedLateness(REPLAY_ALLOWED_LATENESS))
        .setDedupHorizon(atLeastRange(graph.dedupHorizon(), range))
        .build();
  }

  /** {@code horizon}, or the range plus a day if that is longer. */
  private static Duration atLeastRange(Duration horizon, ReplayScope range) {
    Duration wholeRange = Duration.standardDays(range.days() + 1);
    return horizon.isShorterThan(wholeRange) ? wholeRange : horizon;
  }

  /** {@code --from} and {@code --to}: required by the replay sources, refused by the others. */
  private static @Nullable ReplayScope replayRange(SourceKind source, CollabPipelineOptions o) {
    String sourceName = source.name().toLowerCase(Locale.ROOT);
    if (!source.isReplay()) {
      if (o.getFrom() != null || o.getTo() != null) {
        throw new UsageException(
            "--"
                + (o.getFrom() != null ? "from" : "to")
                + " is only read by replays; add "
                + "--source=raw (or --source=quarantine), or drop it");
      }
      return null;
    }
    LocalDate from = date("from", o.getFrom(), sourceName);
    LocalDate to = date("to", o.getTo(), sourceName);
    if (to.isBefore(from)) {
      throw new UsageException(
          "--to="
              + to
              + " is before --from="
              + from
              + "; a range is written --from=FIRST --to=LAST");
    }
    long days = to.toEpochDay() - from.toEpochDay() + 1;
    if (days > MAX_REPLAY_DAYS) {
      throw new UsageException(
          "--from="
              + from
              + " --to="
              + to
              + " spans "
              + days
              + " days; a replay covers at most "
              + MAX_REPLAY_DAYS
              + " days: split it into several runs");
    }
    return ReplayScope.of(from, to);
  }

  private static LocalDate date(String option, @Nullable String value, String sourceName) {
    if (value == null || value.isEmpty()) {
      throw new UsageException(
          "--"
              + option
              + " is required with --source="
              + sourceName
              + ": a UTC date YYYY-MM-DD, e.g. --"
              + option
              + "=2026-11-02");
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new UsageException(
          "--" + option + "=" + value + " is not a date: write YYYY-MM-DD, e.g. 2026-11-02");
    }
  }

  /**
   * Every date of a raw replay must have files: a replay rewrites (and so would empty) the windows
   * of a date it finds no events for, so a wrong --rawStore or a date outside the retention is
   * refused rather than replayed.
   */
  private static void requireRawPartitions(String rawStore, ReplayScope range) {
    List<LocalDate> empty;
    try {
      empty = RawStoreIO.datesWithoutFiles(rawStore, range);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--rawStore=" + rawStore + " cannot be read: " + e.getMessage());
    }
    if (!empty.isEmpty()) {
      throw new UsageException(
          "--rawStore="
              + rawStore
              + " has no Parquet files for "
              + empty.size()
              + " of the dates "
              + range
              + " (first: dt="
              + empty.get(0)
              + "); a replay would empty their windows: check --rawStore and "
              + "--from/--to");
    }
  }

  private static SourceKind parseSource(String value) {
    String v = value == null ? "" : value.toLowerCase(Locale.ROOT);
    switch (v) {
      case "generator":
        return SourceKind.GENERATOR;
      case "files":
        return SourceKind.FILES;
      case "raw":
        return SourceKind.RAW;
      case "quarantine":
        return SourceKind.QUARANTINE;
      case "kafka":
        return SourceKind.KAFKA;
      default:
        throw new UsageException(
            "--source="
                + value
                + " is unknown; use one of generator, files, kafka, raw, quarantine");
    }
  }

  private static String absolute(String dir, String option) {
    if (dir == null || dir.isEmpty()) {
      throw new UsageException("--" + option + " must not be empty");
    }
    Path p = Paths.get(dir).toAbsolutePath().normalize();
    return p.toString();
  }

  /** A store location: a URI with a scheme (s3://...) is kept; a plain path is made absolute. */
  private static String locationOption(String option, String value) {
    if (value.isEmpty()) {
      throw new UsageException("--" + option + " must not be empty");
    }
    if (value.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
    }
    return absolute(value, option);
  }

  /**
   * The bytes of the files {@code glob} matches (a compressed file's counted {@value
   * #COMPRESSED_RATIO} times); refuses a glob that matches nothing.
   */
  static long inputBytesOf(String glob) {
    try {
      MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        throw new UsageException(
            "--input=" + glob + " matches no files; check the path and quote the glob");
      }
      long bytes = 0;
      for (MatchResult.Metadata file : m.metadata()) {
        String name = file.resourceId().getFilename();
        boolean compressed = name != null && (name.endsWith(".gz") || name.endsWith(".gzip"));
        bytes += file.sizeBytes() * (compressed ? COMPRESSED_RATIO : 1);
      }
      return bytes;
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--input=" + glob + " cannot be read: " + e.getMessage());
    }
  }

  /** What a gzip file of events is taken to expand to, for sizing its dedup. */
  static final long COMPRESSED_RATIO = 8;

  /**
   * Input bytes (newline-delimited JSON) per shard of a bounded job's dedup: a shard's events are
   * in a worker's heap at once, at about twice their JSON's size.
   */
  static final long INPUT_BYTES_PER_DEDUP_SHARD = 32L << 20;

  /** A generated event's JSON, about (the benchmark's input averages 1,478 bytes). */
  static final long GENERATED_EVENT_BYTES = 1_500;

  /**
   * The shards a bounded job's dedup runs in for {@code inputBytes} of input: its default ({@link
   * DedupByEventId#DEFAULT_BOUNDED_SHARDS}), or one per {@link #INPUT_BYTES_PER_DEDUP_SHARD} of a
   * larger input, so that a shard's events stay within a worker's heap however large the input.
   */
  static int dedupShardsFor(long inputBytes) {
    return ShardChunks.shardsFor(
        inputBytes, INPUT_BYTES_PER_DEDUP_SHARD, DedupByEventId.DEFAULT_BOUNDED_SHARDS);
  }
}

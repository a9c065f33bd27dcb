package io.collabpipeline.pipelines;

import com.google.auto.value.AutoValue;
import io.collabpipeline.pipelines.warehouse.PartialWindows;
import io.collabpipeline.pipelines.warehouse.WarehouseTarget;
import io.collabpipeline.pipelines.warehouse.WarehouseTargets;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.UserKeyStores;
import io.collabpipeline.transforms.validate.ValidateEvents;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Everything {@link CollabGraph} needs, as typed values: built from the command line by {@link
 * JobConfig}, or directly by tests and the benchmark.
 */
@AutoValue
public abstract class GraphConfig {
  public abstract KeyReference pseudonymKey();

  /**
   * The per-user pseudonym secrets by reference ({@code ValidateEvents.withUserKeyStore}); {@code
   * none} (default) for global-key pseudonyms.
   */
  public abstract String userKeyStore();

  public abstract int maxRecordBytes();

  /**
   * How far after its arrival an event may have occurred ({@code
   * ValidateEvents.withMaxEventTimeAhead}).
   */
  public abstract Duration maxEventTimeAhead();

  /**
   * How far before its arrival an event may have occurred ({@code ValidateEvents.withMaxEventAge}).
   */
  public abstract Duration maxEventAge();

  public abstract Duration dedupHorizon();

  public abstract WindowingPolicy windowing();

  public abstract String rawStore();

  public abstract String quarantineStore();

  /**
   * The duplicate ledger: the duplicates the live graph drops, minimized like raw events and in the
   * raw store's layout, so that the lost-event audit can account for every source offset as raw,
   * quarantined or duplicate. Beside the raw store, never inside it (replays read the raw store):
   * {@code <rawStore>-duplicates}.
   */
  public String duplicateLedger() {
    return duplicateLedgerOf(rawStore());
  }

  /**
   * The duplicate ledger's location for a raw store location: {@code <rawStore>-duplicates}, or
   * {@code s3://bucket/duplicate-ledger} for a raw store at a bucket's root (never another bucket).
   */
  public static String duplicateLedgerOf(String rawStore) {
    String root = rawStore;
    while (root.endsWith("/") && root.length() > 1) {
      root = root.substring(0, root.length() - 1);
    }
    if (root.startsWith("s3://") && root.indexOf('/', "s3://".length()) < 0) {
      return root + "/duplicate-ledger";
    }
    return root + "-duplicates";
  }

  /**
   * Where the curated rows go: the graph's {@code WriteCurated} step is its live write (a replay's,
   * its staged write), and drivers open it for the tables and the generation log.
   */
  public abstract WarehouseTarget warehouse();

  public abstract int rawShards();

  /**
   * The shards a bounded input's dedup runs in ({@link DedupByEventId#withBoundedShards}): a
   * shard's events are in a worker's heap at once, so the launcher sizes them from the input.
   */
  public abstract int dedupShards();

  /**
   * The generation of every curated row this graph writes (stream epoch, batch run or replay id): a
   * positive number, by default the time this config was built in epoch milliseconds, so a later
   * job has a higher generation. The warehouse never lets a row of an older generation overwrite
   * one of a newer generation (see {@code CuratedTables}).
   */
  public abstract long generation();

  /**
   * Set for a stream that started without the previous job's state: the earliest arrival time it
   * reads (T0, {@code kafka.KafkaStartPosition}). Windows that may hold events arriving before T0
   * are not seen whole and never replace another generation's rows ({@code PartialWindows}). Null
   * (default): the job sees every window whole (a first start, a restore, a bounded run).
   */
  public abstract java.time.@Nullable Instant seenWholeFrom();

  /** {@link #seenWholeFrom()} with {@link #maxEventTimeAhead()} as the warehouse needs it. */
  public @Nullable PartialWindows partialWindows() {
    java.time.Instant t0 = seenWholeFrom();
    return t0 == null
        ? null
        : PartialWindows.of(t0, java.time.Duration.ofMillis(maxEventTimeAhead().getMillis()));
  }

  public static Builder builder() {
    return new AutoValue_GraphConfig.Builder()
        .setPseudonymKey(KeyReference.parse(KeyReference.DEV_REFERENCE))
        .setUserKeyStore(UserKeyStores.NONE)
        .setMaxRecordBytes(ValidateEvents.DEFAULT_MAX_RECORD_BYTES)
        .setMaxEventTimeAhead(ValidateEvents.DEFAULT_MAX_EVENT_TIME_AHEAD)
        .setMaxEventAge(ValidateEvents.DEFAULT_MAX_EVENT_AGE)
        .setDedupHorizon(DedupByEventId.DEFAULT_HORIZON)
        .setWindowing(WindowingPolicy.defaults())
        .setRawShards(1)
        .setDedupShards(DedupByEventId.DEFAULT_BOUNDED_SHARDS)
        .setGeneration(System.currentTimeMillis());
  }

  /**
   * Defaults for everything but the three outputs, which go under {@code dataDir} (the warehouse in
   * DuckDB).
   */
  public static GraphConfig underDataDir(String dataDir) {
    return builder()
        .setRawStore(dataDir + "/raw")
        .setQuarantineStore(dataDir + "/quarantine")
        .setWarehouse(WarehouseTargets.jdbc("jdbc:duckdb:" + dataDir + "/warehouse.duckdb"))
        .build();
  }

  public abstract Builder toBuilder();

  /** Builder for {@link GraphConfig}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setPseudonymKey(KeyReference value);

    public abstract Builder setUserKeyStore(String value);

    public abstract Builder setMaxRecordBytes(int value);

    public abstract Builder setMaxEventTimeAhead(Duration value);

    public abstract Builder setMaxEventAge(Duration value);

    public abstract Builder setDedupHorizon(Duration value);

    public abstract Builder setWindowing(WindowingPolicy value);

    public abstract Builder setRawStore(String value);

    public abstract Builder setQuarantineStore(String value);

    public abstract Builder setWarehouse(WarehouseTarget value);

    public abstract Builder setRawShards(int value);

    public abstract Builder setDedupShards(int value);

    public abstract Builder setGeneration(long value);

    public abstract Builder setSeenWholeFrom(java.time.@Nullable Instant value);

    abstract GraphConfig autoBuild();

    public GraphConfig build() {
      GraphConfig config = autoBuild();
      if (config.dedupShards() < 1) {
        throw new IllegalArgumentException(
            "GraphConfig.setDedupShards(n) needs n >= 1, got " + config.dedupShards());
      }
      if (config.generation() < 1) {
        throw new IllegalArgumentException(
            "GraphConfig.setGeneration(g) needs g >= 1, got " + config.generation());
      }
      return config;
    }
  }
}

package io.collabpipeline.tools.benchmark;

import io.collabpipeline.coders.CollabEventCoder;
import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.transforms.dedup.DedupByEventId;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * {@code bin/collab-benchmark --modes=dedupstate --ids=N}: the bytes of checkpointed state that
 * {@link DedupByEventId} keeps per remembered event id.
 *
 * <p>Runs the transform alone on embedded Flink in streaming mode over N distinct event ids (random
 * UUID strings, as clients send) whose arrivals all lie within one hour, i.e. within one horizon
 * (24 h): once the watermark has passed the last arrival, every id has been emitted and all N are
 * remembered, which is the steady state of a job that sees N ids per horizon. The source then holds
 * the watermark there (an hour before any memory expires) while Flink takes full checkpoints
 * (incremental checkpoints off, so a checkpoint holds the whole state) to a local directory. The
 * first checkpoint that started after the N-th id was emitted is measured: the sum of its files'
 * sizes, divided by N. Dedup is the job's only keyed state; the source's own few hundred bytes are
 * included. Once per state backend named by {@code --backends} (default {@code rocksdb,hashmap}):
 * RocksDB with its timers in RocksDB, as in production (runner-configs/flink/production), and the
 * heap backend of local runs. RocksDB's checkpoint files are its SST files: compressed, and holding
 * the deleted entries its LSM tree has not compacted yet, so its size between two checkpoints is
 * not a clean marginal figure; the heap backend's is the serialized state itself.
 *
 * <p>Two checkpoints are measured, with half and with all of the ids remembered: the difference
 * divided by N/2 is the cost of one more id once every one of the dedup's 65,536 shards holds ids
 * (the state per shard is then already there), total / N includes that per-shard state.
 */
final class DedupStateBenchmark {
  /** All arrivals lie in the hour after this instant. */
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

  private static final Duration ARRIVAL_SPAN = Duration.standardHours(1);

  /** Unique events seen downstream of the dedup, across the job's subtasks (same JVM). */
  private static final AtomicLong UNIQUE_SEEN = new AtomicLong();

  /** Set to let the source go on with the second half of the ids once the first is measured. */
  private static final AtomicBoolean SECOND_HALF = new AtomicBoolean();

  /** Set to let the source finish once the measurement is taken. */
  private static final AtomicBoolean STOP = new AtomicBoolean();

  private DedupStateBenchmark() {}

  static int run(String[] args) throws Exception {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            " for --modes=dedupstate",
            "--ids=N",
            "--parallelism=N",
            "--backends=rocksdb,hashmap");
    long ids = o.positive("ids", 1_000_000);
    int parallelism = o.positiveInt("parallelism", 2);
    List<String> backends = List.of("rocksdb", "hashmap");
    if (o.has("backends")) {
      String v = o.get("backends", "");
      backends = List.of(v.split(","));
      for (String b : backends) {
        if (!b.equals("rocksdb") && !b.equals("hashmap")) {
          throw new UsageException(
              "--backends=" + v + ": backends are rocksdb and hashmap (comma-separated)");
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "collab-benchmark dedupstate: %,d distinct ids arriving within %s (horizon %s), embedded Flink"
            + " streaming, parallelism %d, full checkpoints; %d cores, Java %s%n",
        ids,
        ARRIVAL_SPAN,
        DedupByEventId.DEFAULT_HORIZON,
        parallelism,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));
    List<String> lines = new ArrayList<>();
    for (String backend : backends) {
      long[] sizes = measure(backend, ids, parallelism);
      long half = ids / 2;
      double perId = (double) sizes[1] / ids;
      // What one more remembered id costs once every shard of the state holds ids: the steady
      // state of production, where each of the 65,536 shards holds some 200,000 ids.
      double marginal = (double) (sizes[1] - sizes[0]) / (ids - half);
      // The production horizon's steady state: every id of 24 h is remembered.
      double avgIds = 155_000.0 * 86_400;
      double peakIds = 250_000.0 * 86_400;
      lines.add(
          String.format(
              Locale.ROOT,
              "dedupstate: backend=%s ids=%d state_bytes=%d bytes_per_id=%.1f | ids=%d"
                  + " state_bytes=%d | marginal_bytes_per_id=%.1f | at 24 h horizon and the"
                  + " marginal figure: 155K ev/s avg -> %.1f G ids -> %.2f TB; 250K ev/s all day"
                  + " -> %.1f G ids -> %.2f TB",
              backend,
              ids,
              sizes[1],
              perId,
              half,
              sizes[0],
              marginal,
              avgIds / 1e9,
              avgIds * marginal / 1e12,
              peakIds / 1e9,
              peakIds * marginal / 1e12));
    }
    lines.forEach(System.out::println);
    return 0;
  }

  /** The sizes of the checkpoints with half and with all of the ids remembered. */
  private static long[] measure(String backend, long ids, int parallelism) throws Exception {
    UNIQUE_SEEN.set(0);
    SECOND_HALF.set(false);
    STOP.set(false);
    Path dir = Files.createTempDirectory("collab-dedupstate-" + backend);
    Path checkpoints = dir.resolve("checkpoints");
    Path conf = dir.resolve("conf");
    Files.createDirectories(conf);
    StringBuilder yaml = new StringBuilder();
    yaml.append("state.backend.type: ").append(backend).append('\n');
    yaml.append("state.backend.incremental: false\n");
    // As in production: timers in RocksDB, not on the heap (ignored by the hashmap backend).
    yaml.append("state.backend.rocksdb.timer-service.factory: ROCKSDB\n");
    yaml.append("state.backend.rocksdb.localdir: ").append(dir.resolve("rocksdb")).append('\n');
    yaml.append("state.checkpoints.dir: ").append(checkpoints.toUri()).append('\n');
    // Two retained: the measured one survives the next completion while its files are summed.
    yaml.append("state.checkpoints.num-retained: 2\n");
    yaml.append("rest.bind-port: \"0\"\n");
    Files.writeString(conf.resolve("config.yaml"), yaml.toString());

    FlinkPipelineOptions options = EmbeddedFlink.options(true, parallelism);
    options.setFlinkConfDir(conf.toString());
    options.setCheckpointingInterval(5_000L);
    options.setMinPauseBetweenCheckpoints(1_000L);
    options.setCheckpointTimeoutMillis(600_000L);
    options.setExternalizedCheckpointsEnabled(true);
    options.setRetainExternalizedCheckpointsOnCancellation(true);
    options.setJobName("dedupstate-" + backend);

    Pipeline p = Pipeline.create(options);
    p.apply("Ids", Read.from(new DistinctIds(ids, 0, 1)))
        .apply("DedupByEventId", DedupByEventId.create())
        .unique()
        .apply("CountUnique", ParDo.of(new CountFn()));

    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread job =
        new Thread(
            () -> {
              try {
                p.run().waitUntilFinish();
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "dedupstate-job");
    job.setDaemon(true);
    long started = System.nanoTime();
    job.start();
    long half = ids / 2;
    long atHalf = checkpointWhenRemembered(backend, half, checkpoints, failure, started);
    SECOND_HALF.set(true);
    long atAll = checkpointWhenRemembered(backend, ids, checkpoints, failure, started);
    STOP.set(true);
    job.join(600_000);
    WorkDirs.deleteQuietly(dir);
    return new long[] {atHalf, atAll};
  }

  /**
   * Waits until {@code remembered} ids were emitted, then for the first full checkpoint that
   * started after that, and returns its size.
   */
  private static long checkpointWhenRemembered(
      String backend,
      long remembered,
      Path checkpoints,
      AtomicReference<Throwable> failure,
      long started)
      throws Exception {
    while (UNIQUE_SEEN.get() < remembered) {
      if (failure.get() != null) {
        throw new IllegalStateException("the dedupstate job failed", failure.get());
      }
      Thread.sleep(200);
    }
    System.out.printf(
        Locale.ROOT,
        "  %s: %,d ids emitted and remembered after %.1f s; waiting for a full checkpoint%n",
        backend,
        remembered,
        (System.nanoTime() - started) / 1e9);
    // A checkpoint numbered two past the newest one now started after the last emit.
    int after = newestCompleted(checkpoints).orElse(0) + 2;
    long bytes = -1;
    while (bytes < 0) {
      if (failure.get() != null) {
        throw new IllegalStateException("the dedupstate job failed", failure.get());
      }
      Thread.sleep(500);
      Optional<Integer> newest = newestCompleted(checkpoints);
      if (newest.isPresent() && newest.get() >= after) {
        try {
          bytes = sizeOf(checkpointDir(checkpoints, newest.get()));
          System.out.printf(
              Locale.ROOT, "  %s: checkpoint chk-%d: %,d bytes%n", backend, newest.get(), bytes);
        } catch (IOException e) {
          // Subsumed while being summed: take the next one.
          after = newest.get() + 1;
        }
      }
    }
    return bytes;
  }

  private static Optional<Integer> newestCompleted(Path checkpoints) throws IOException {
    if (!Files.isDirectory(checkpoints)) {
      return Optional.empty();
    }
    try (Stream<Path> jobs = Files.list(checkpoints)) {
      List<Path> jobDirs = jobs.toList();
      Optional<Integer> newest = Optional.empty();
      for (Path jobDir : jobDirs) {
        try (Stream<Path> chks = Files.list(jobDir)) {
          for (Path chk : chks.toList()) {
            String name = chk.getFileName().toString();
            if (name.startsWith("chk-") && Files.exists(chk.resolve("_metadata"))) {
              int n = Integer.parseInt(name.substring(4));
              if (newest.isEmpty() || n > newest.get()) {
                newest = Optional.of(n);
              }
            }
          }
        }
      }
      return newest;
    }
  }

  private static Path checkpointDir(Path checkpoints, int n) throws IOException {
    try (Stream<Path> jobs = Files.list(checkpoints)) {
      for (Path jobDir : jobs.toList()) {
        Path chk = jobDir.resolve("chk-" + n);
        if (Files.isDirectory(chk)) {
          return chk;
        }
      }
    }
    throw new IOException("chk-" + n + " is gone");
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      long total = 0;
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        long size = Files.size(f);
        if (Boolean.getBoolean("dedupstate.files")) {
          System.out.printf(Locale.ROOT, "    %,14d %s%n", size, dir.relativize(f));
        }
        total += size;
      }
      return total;
    }
  }

  private static final class CountFn extends DoFn<CollabEvent, Void> {
    @ProcessElement
    public void processElement() {
      UNIQUE_SEEN.incrementAndGet();
    }
  }

  /**
   * Ids {@code index}, {@code index + stride}, ... below {@code count}: each a distinct random UUID
   * string, arriving evenly over {@link #ARRIVAL_SPAN}. After the last one the watermark stays an
   * hour past {@link #T0} (all emitted, none expired) until {@link #STOP}.
   */
  static final class DistinctIds extends UnboundedSource<CollabEvent, DistinctIds.Position> {
    private final long count;
    private final long index;
    private final long stride;

    DistinctIds(long count, long index, long stride) {
      this.count = count;
      this.index = index;
      this.stride = stride;
    }

    @Override
    public List<DistinctIds> split(int desiredNumSplits, PipelineOptions options) {
      List<DistinctIds> splits = new ArrayList<>();
      int n = Math.max(1, desiredNumSplits);
      for (int i = 0; i < n; i++) {
        splits.add(new DistinctIds(count, i, n));
      }
      return splits;
    }

    @Override
    public UnboundedReader<CollabEvent> createReader(
        PipelineOptions options, @Nullable Position mark) {
      return new Reader(this, mark == null ? index : mark.next);
    }

    @Override
    public Coder<Position> getCheckpointMarkCoder() {
      return SerializableCoder.of(Position.class);
    }

    @Override
    public Coder<CollabEvent> getOutputCoder() {
      return CollabEventCoder.of();
    }

    static final class Position implements UnboundedSource.CheckpointMark, Serializable {
      private static final long serialVersionUID = 1L;
      final long next;

      Position(long next) {
        this.next = next;
      }

      @Override
      public void finalizeCheckpoint() {}
    }

    private static final class Reader extends UnboundedReader<CollabEvent> {
      private final DistinctIds source;
      private long next;
      private @Nullable CollabEvent current;

      Reader(DistinctIds source, long next) {
        this.source = source;
        this.next = next;
      }

      @Override
      public boolean start() {
        return advance();
      }

      @Override
      public boolean advance() {
        if (next >= source.count || (next >= source.count / 2 && !SECOND_HALF.get())) {
          current = null;
          return false;
        }
        long i = next;
        next += source.stride;
        Random random = new Random(i * 0x9E3779B97F4A7C15L + 17);
        String id = new UUID(random.nextLong(), random.nextLong()).toString();
        long arrival = arrivalOf(i);
        current =
            CollabEvent.builder()
                .setEventId(id)
                .setEventType("task.updated")
                .setSchemaVersion(1)
                .setOccurredAtMillis(arrival - 1_000L)
                .setReceivedAtMillis(arrival)
                .setWorkspaceGid("100")
                .setActorId("actor-1")
                .setPlatform("web")
                .setResourceType("task")
                .setResourceGid("1")
                .setPayloadJson("{}")
                .setSource(SourceRef.kafka("events", (int) source.index, i))
                .build();
        return true;
      }

      private long arrivalOf(long i) {
        return T0.getMillis() + i * ARRIVAL_SPAN.getMillis() / source.count;
      }

      @Override
      public CollabEvent getCurrent() {
        if (current == null) {
          throw new java.util.NoSuchElementException();
        }
        return current;
      }

      @Override
      public Instant getCurrentTimestamp() {
        return new Instant(getCurrent().receivedAtMillis());
      }

      @Override
      public Instant getWatermark() {
        if (STOP.get()) {
          return BoundedWindow.TIMESTAMP_MAX_VALUE;
        }
        if (next >= source.count) {
          // Every arrival passed, no memory expired (the horizon is 24 h).
          return T0.plus(ARRIVAL_SPAN).plus(Duration.standardMinutes(1));
        }
        if (next >= source.count / 2 && !SECOND_HALF.get()) {
          // Every arrival of the first half passed; the second half arrives from here on.
          return new Instant(arrivalOf(source.count / 2));
        }
        return new Instant(arrivalOf(Math.max(0, next - source.stride)));
      }

      @Override
      public Position getCheckpointMark() {
        return new Position(next);
      }

      @Override
      public UnboundedSource<CollabEvent, ?> getCurrentSource() {
        return source;
      }

      @Override
      public void close() {}
    }
  }
}

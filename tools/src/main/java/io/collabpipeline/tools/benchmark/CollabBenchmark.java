package io.collabpipeline.tools.benchmark;

import static io.collabpipeline.tools.benchmark.BenchmarkOptions.median;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.GeneratorConfig;
import io.collabpipeline.pipelines.generator.WorkloadGenerator;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.launch.LiveJob;
import io.collabpipeline.pipelines.launch.RawReplayJob;
import io.collabpipeline.pipelines.launch.SharedEmbeddedCluster;
import io.collabpipeline.pipelines.options.GeneratorOptions;
import io.collabpipeline.pipelines.stores.RawStoreIO;
import io.collabpipeline.pipelines.warehouse.ReplayScope;
import io.collabpipeline.transforms.Counters;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The benchmark command: the whole graph on N generated events on the embedded Flink runner, in
 * batch and in streaming mode, and a plain single-thread Jackson parse of the same events as the
 * upper limit. Reports medians over the repeats, events/s, the ratio to the parse limit, and peak
 * memory. Not a test: numbers depend on the machine.
 *
 * <p>Mode {@code replay} ({@code --modes=replay}) times bounded replays of the raw store: the graph
 * is run once (not timed) to write a raw store from the N events, then each repeat replays its
 * whole date range into a fresh DuckDB warehouse ({@link RawReplayJob}: read Parquet, dedup,
 * metrics, stage, diff, commit); its events/s counts the events read back from the raw store. Each
 * repeat also times the same recompute in an in-process DuckDB limited to {@code --parallelism}
 * threads over the same Parquet files ({@link DuckDbReplayReference}: dedup by event id, canaries
 * out, the nine metric windowings into temporary tables), printed as the row {@code duckdb
 * reference} with the replay's ratio to it.
 *
 * <p>{@code --arrivalRate=R} sets the generator's synthetic arrival clock (deliveries per second;
 * the pipeline's {@code --arrivalRate}) for the input files and the replays' raw store alike: a
 * lower rate spreads the same events over more hours and more metric rows per event, as a long
 * replay of a real stream meets them.
 *
 * <p>Mode {@code flinksql} times {@link FlinkSqlPeer}, what a Flink team would write instead:
 * parse, dedup and the minute/hour/day metrics as one Flink SQL job over the same files on the same
 * embedded Flink and parallelism; with {@code batch} also run, the summary prints the graph's ratio
 * to it.
 */
public final class CollabBenchmark {
  private CollabBenchmark() {}

  public static void main(String[] args) throws Exception {
    try {
      System.exit(run(args));
    } catch (UsageException e) {
      System.err.println("collab-benchmark: " + e.getMessage());
      System.exit(2);
    }
  }

  static int run(String[] args) throws Exception {
    for (String a : args) {
      if (a.equals("--modes=collector")) {
        return CollectorBenchmark.run(args);
      }
      if (a.equals("--modes=validate")) {
        return ValidateBenchmark.run(args);
      }
      if (a.equals("--modes=source")) {
        return SourceBenchmark.run(args);
      }
      if (a.equals("--modes=soak")) {
        return SoakBenchmark.run(args);
      }
      if (a.equals("--modes=dedupstate")) {
        return DedupStateBenchmark.run(args);
      }
      if (a.equals("--modes=freshness")) {
        return FreshnessBenchmark.run(args);
      }
    }
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            "",
            "--events=N",
            "--repeats=N",
            "--warmups=N",
            "--parallelism=N",
            "--modes=parse,batch,streaming,replay,flinksql",
            "--workDir=DIR",
            "--results=FILE",
            "--rawStore=DIR",
            "--arrivalRate=R",
            "--inputFiles=N",
            "--clusterPerJob=true|false");
    long events = o.positive("events", 200_000);
    // The workload as the pipeline's own options check it (--arrivalRate's one-line errors).
    List<String> generatorArgs = new ArrayList<>(List.of("--events=" + events));
    if (o.has("arrivalRate")) {
      generatorArgs.add("--arrivalRate=" + GeneratorConfig.arrivalRate(o.get("arrivalRate", "")));
    }
    WorkloadSpec workload =
        GeneratorConfig.workloadFrom(
            PipelineOptionsFactory.fromArgs(generatorArgs.toArray(new String[0]))
                .as(GeneratorOptions.class));
    int repeats = o.positiveInt("repeats", 3);
    int warmups = o.positiveOrZero("warmups", 1);
    int parallelism = o.positiveInt("parallelism", 2);
    List<String> modes = new ArrayList<>(List.of("parse", "batch", "streaming"));
    if (o.has("modes")) {
      String value = o.get("modes", "");
      modes = List.of(value.split(","));
      for (String m : modes) {
        if (!List.of("parse", "batch", "streaming", "replay", "flinksql").contains(m)) {
          throw new UsageException(
              "--modes="
                  + value
                  + ": modes are parse, batch, streaming, replay, flinksql (comma-separated),"
                  + " or collector, validate, source, soak, dedupstate or freshness alone");
        }
      }
    }
    boolean clusterPerJob = o.bool("clusterPerJob", false);
    String workDir = o.get("workDir", null);
    String results = o.get("results", null);
    Path resultsFile = results == null ? null : BenchmarkOptions.outputFile("results", results);
    String rawStore = o.get("rawStore", null);
    if (rawStore != null && (rawStore.isEmpty() || !Files.isDirectory(Paths.get(rawStore)))) {
      throw new UsageException(
          "--rawStore="
              + rawStore
              + " is not a directory: give a raw store a previous run wrote"
              + " (<workDir>/replay-source/raw), or leave it out");
    }
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
    // A directory of the benchmark's own goes when the JVM exits, and each run's files after it.
    boolean temporary = workDir == null;
    Path dir =
        temporary
            ? WorkDirs.temporary("collab-bench")
            : BenchmarkOptions.directory("workDir", workDir);
    // One file per core to read by default, as a real backfill would be; --inputFiles=1 times the
    // reading of a single file, which a batch run cuts into pieces for its readers.
    int files = o.positiveInt("inputFiles", Math.max(2, parallelism));
    // The input has a directory of its own: the SQL peer's filesystem source reads a whole
    // directory, and the runs write theirs beside it.
    Path inputDir = dir.resolve("input");
    Files.createDirectories(inputDir);
    // A replay of an existing raw store reads no input file: none is written.
    boolean noInput = rawStore != null && modes.equals(List.of("replay"));
    if (noInput && o.has("arrivalRate")) {
      throw new UsageException(
          "--arrivalRate shapes generated events, and a replay of --rawStore generates none:"
              + " leave one of them out");
    }
    long bytes = noInput ? 0 : writeInput(inputDir, files, workload);
    String input = inputDir.resolve("events-*.ndjson").toString();
    String collector = collector();
    System.out.printf(
        Locale.ROOT,
        "collab-benchmark: %s; %d warm-up + %d repeats, "
            + "medians of the repeats; embedded Flink, parallelism %d; %d cores (%s), %s, Java %s,"
            + " garbage collector %s, heap %s%n",
        noInput
            ? "replays of the raw store " + rawStore
            : String.format(
                Locale.ROOT,
                "%,d events (%,d bytes, avg %,d B/event) in %d files %s, arriving at %s/s on"
                    + " the generator's arrival clock (%.1f h)",
                events,
                bytes,
                bytes / events,
                files,
                input,
                GeneratorConfig.plain(workload.syntheticRate()),
                events / workload.syntheticRate() / 3600.0),
        warmups,
        repeats,
        parallelism,
        Runtime.getRuntime().availableProcessors(),
        cpuModel(Paths.get("/proc/cpuinfo")),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        System.getProperty("java.version"),
        collector,
        heap());
    if (!heapFixed()) {
      System.out.println(
          "  (a Flink TaskManager's heap is all there from the start, -Xms equal to -Xmx;"
              + " bin/collab-benchmark sets both unless JAVA_OPTS is given)");
    }
    if (modes.contains("replay") && !collector.equals("Parallel")) {
      System.out.println(
          "  (a replay's TaskManagers run with -XX:+UseParallelGC, airflow/dags/collab/emr.py;"
              + " JAVA_OPTS=\"-Xmx6g -Xms6g -XX:+UseParallelGC\" times the replays with that collector)");
    }

    // The batch jobs (the graph's batch runs, the replays and the raw store they read, the Flink
    // SQL peer) are submitted to one embedded cluster started here, as to a running session
    // cluster, instead of each starting and stopping its own (SharedEmbeddedCluster); streaming
    // runs start their own. --clusterPerJob=true: every job its own, as before 2026-12-07.
    boolean sharesCluster =
        !clusterPerJob
            && modes.stream().anyMatch(m -> List.of("batch", "replay", "flinksql").contains(m));
    if (sharesCluster) {
      System.out.println(
          "  batch jobs run on one embedded cluster started before the first run, as on a running"
              + " session cluster; streaming runs start their own (--clusterPerJob=true: every"
              + " job its own)");
    }
    SharedEmbeddedCluster shared = sharesCluster ? SharedEmbeddedCluster.start(parallelism) : null;
    try {
      Map<String, Long> eventsPerMode = new LinkedHashMap<>();
      for (String mode : modes) {
        eventsPerMode.put(mode, events);
      }
      ReplaySource replaySource = null;
      if (modes.contains("replay")) {
        replaySource =
            rawStore != null
                ? existingRawStore(rawStore)
                : writeRawStore(dir.resolve("replay-source"), generatorArgs, parallelism);
        eventsPerMode.put("replay", replaySource.events);
        System.out.printf(
            Locale.ROOT,
            "  raw store for the replays: %,d events, dates %s, %s%n",
            replaySource.events,
            replaySource.range,
            replaySource.raw);
      }
      Map<String, List<Double>> seconds = new LinkedHashMap<>();
      Map<String, List<Double>> cpuSeconds = new LinkedHashMap<>();
      Map<String, Long> peakHeap = new LinkedHashMap<>();
      for (String mode : modes) {
        seconds.put(mode, new ArrayList<>());
        cpuSeconds.put(mode, new ArrayList<>());
        peakHeap.put(mode, 0L);
      }
      List<Double> duckdbSeconds = new ArrayList<>();
      // CPU seconds of the whole process per run: on a machine shared with other work, what a run
      // consumed says more than how long it waited.
      List<Double> replayCpu = new ArrayList<>();
      List<Double> duckdbCpu = new ArrayList<>();
      // Warm-up runs are timed and printed but not counted: a cold JVM spends the first run
      // compiling (JIT).
      for (int r = 1 - warmups; r <= repeats; r++) {
        for (String mode : modes) {
          // An earlier benchmark run in the same --workDir left its files here: removed first.
          Path runDir = dir.resolve("run-" + mode + "-" + r);
          WorkDirs.clearEarlierRun(runDir);
          // Each run starts from a collected heap, before its timer: what the runs before it left
          // is not collected inside it (a replay in production is a JVM of its own).
          System.gc();
          resetPeaks();
          double cpuBefore = processCpuSeconds();
          Map<Long, Long> jitBefore = compilerThreadNanos();
          // A replay's run ends with its diff and commit, after the job: their part of its time.
          double closing = Double.NaN;
          double s;
          if (mode.equals("replay")) {
            JobLauncher.Finished replay = runReplay(replaySource, runDir, parallelism);
            s = replay.seconds;
            closing = replay.seconds - replay.jobSeconds;
          } else {
            s =
                mode.equals("parse")
                    ? parseOnly(input)
                    : mode.equals("flinksql")
                        ? FlinkSqlPeer.over(inputDir, parallelism).runToBlackhole()
                        : runGraph(input, runDir, mode.equals("streaming"), parallelism);
          }
          double cpu = processCpuSeconds() - cpuBefore;
          double jit = compilingSeconds(jitBefore, compilerThreadNanos());
          if (r >= 1) {
            seconds.get(mode).add(s);
            cpuSeconds.get(mode).add(cpu);
            peakHeap.put(mode, Math.max(peakHeap.get(mode), peakHeapBytes()));
          }
          System.out.printf(
              Locale.ROOT,
              "  %-8s %-10s %8.2f s  %,12.0f events/s  %8.2f cpu-s  %,10.0f events/cpu-s  %6.2f of"
                  + " them compiling%s%n",
              r >= 1 ? "repeat " + r : "warm-up",
              mode,
              s,
              eventsPerMode.get(mode) / s,
              cpu,
              eventsPerMode.get(mode) / cpu,
              jit,
              Double.isNaN(closing)
                  ? ""
                  : String.format(Locale.ROOT, "; diff and commit %.2f s", closing));
          if (mode.equals("replay")) {
            double dCpuBefore = processCpuSeconds();
            double d = DuckDbReplayReference.time(replaySource.raw, parallelism);
            double dCpu = processCpuSeconds() - dCpuBefore;
            if (r >= 1) {
              duckdbSeconds.add(d);
              replayCpu.add(cpu);
              duckdbCpu.add(dCpu);
            }
            System.out.printf(
                Locale.ROOT,
                "  %-8s %-10s %8.2f s  %,12.0f events/s  (%.1f CPU s)%n",
                r >= 1 ? "repeat " + r : "warm-up",
                "duckdb",
                d,
                replaySource.events / d,
                dCpu);
          }
          if (temporary) {
            WorkDirs.deleteQuietly(runDir);
          }
        }
      }

      double parseRate =
          seconds.containsKey("parse") ? events / median(seconds.get("parse")) : Double.NaN;
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "%-30s %10s %14s %10s %12s %14s%n",
          "mode",
          "median s",
          "events/s",
          "vs parse",
          "peak heap",
          "events/cpu-s");
      for (String mode : modes) {
        double med = median(seconds.get(mode));
        double rate = eventsPerMode.get(mode) / med;
        String vsParse =
            Double.isNaN(parseRate) ? "-" : String.format(Locale.ROOT, "%.3fx", rate / parseRate);
        System.out.printf(
            Locale.ROOT,
            "%-30s %10.2f %,14.0f %10s %9d MiB %,14.0f%n",
            label(mode),
            med,
            rate,
            vsParse,
            peakHeap.get(mode) >> 20,
            eventsPerMode.get(mode) / median(cpuSeconds.get(mode)));
      }
      if (!duckdbSeconds.isEmpty()) {
        double med = median(duckdbSeconds);
        System.out.printf(
            Locale.ROOT,
            "%-30s %10.2f %,14.0f %10s %12s%n",
            "duckdb reference, " + parallelism + " threads",
            med,
            replaySource.events / med,
            "-",
            "-");
        System.out.printf(
            Locale.ROOT,
            "raw-store replay vs the DuckDB reference (same Parquet, same recompute): %.3fx its events/s%n",
            med / median(seconds.get("replay")));
        System.out.printf(
            Locale.ROOT,
            "CPU (whole process, medians): replay %.1f s = %,.0f events per CPU second;"
                + " DuckDB %.1f s = %,.0f events per CPU second%n",
            median(replayCpu),
            replaySource.events / median(replayCpu),
            median(duckdbCpu),
            replaySource.events / median(duckdbCpu));
      }
      if (seconds.containsKey("batch") && seconds.containsKey("flinksql")) {
        System.out.printf(
            Locale.ROOT,
            "full graph (flink batch) vs the Flink SQL peer: %.3fx its events/s%n",
            median(seconds.get("flinksql")) / median(seconds.get("batch")));
      }
      System.out.printf(Locale.ROOT, "peak resident memory of the process: %s%n", peakRss());
      if (resultsFile != null) {
        // The figures for bin/collab-cost (format: BenchmarkResults).
        Map<String, Double> medians = new LinkedHashMap<>();
        modes.forEach(m -> medians.put(m, median(seconds.get(m))));
        try {
          BenchmarkResults.ofRun(eventsPerMode, medians, parallelism).write(resultsFile);
        } catch (IOException e) {
          // Checked before the runs; this is the place changing under them.
          System.err.println(
              "collab-benchmark: could not write --results="
                  + results
                  + " ("
                  + BenchmarkOptions.cause(e)
                  + "); the figures are the ones printed above");
          return 1;
        }
        System.out.println("results: " + results);
      }
      return 0;
    } finally {
      if (shared != null) {
        // What ran on it: a job that could not (none should here) started its own cluster.
        System.out.printf(
            Locale.ROOT, "jobs run on the shared embedded cluster: %d%n", shared.jobsFinished());
        shared.close();
      }
    }
  }

  private static String label(String mode) {
    switch (mode) {
      case "parse":
        return "jackson readTree (1 thread)";
      case "batch":
        return "full graph, flink batch";
      case "replay":
        return "raw-store replay, flink batch";
      case "flinksql":
        return "flink sql peer, batch";
      default:
        return "full graph, flink streaming";
    }
  }

  /**
   * The generator's deliveries (duplicates and malformed records included) as newline-delimited
   * JSON files.
   */
  private static long writeInput(Path dir, int files, WorkloadSpec workload) throws IOException {
    WorkloadGenerator generator = new WorkloadGenerator(workload);
    long events = workload.deliveries();
    long bytes = 0;
    long perFile = (events + files - 1) / files;
    for (int f = 0; f < files; f++) {
      Path file = dir.resolve(String.format(Locale.ROOT, "events-%02d.ndjson", f));
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
        for (long i = f * perFile; i < Math.min(events, (f + 1) * perFile); i++) {
          byte[] line = generator.delivery(i).bytes();
          out.write(line);
          out.write('\n');
          bytes += line.length + 1;
        }
      }
    }
    return bytes;
  }

  /**
   * The upper limit: read the same files and parse every line into a Jackson tree, on one thread.
   */
  private static double parseOnly(String glob) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    long started = System.nanoTime();
    long objects = 0;
    for (org.apache.beam.sdk.io.fs.MatchResult.Metadata m : FileSystems.match(glob).metadata()) {
      byte[] all;
      try (InputStream in = Files.newInputStream(Paths.get(m.resourceId().toString()))) {
        all = in.readAllBytes();
      }
      int start = 0;
      for (int i = 0; i < all.length; i++) {
        if (all[i] == '\n') {
          try {
            JsonNode node = mapper.readTree(all, start, i - start);
            if (node != null && node.isObject()) {
              objects++;
            }
          } catch (IOException malformed) {
            // malformed deliveries are part of the input; the limit only parses
          }
          start = i + 1;
        }
      }
    }
    double s = (System.nanoTime() - started) / 1e9;
    if (objects == 0) {
      throw new IllegalStateException("parsed no objects");
    }
    return s;
  }

  /**
   * One timed run of the main job on the files, as the command line would run it ({@code
   * --source=files}), through the {@link JobLauncher}: the same graph, settings and warehouse
   * writes, into a fresh data directory.
   */
  private static double runGraph(String input, Path runDir, boolean streaming, int parallelism)
      throws Exception {
    JobConfig config =
        mainJob(runDir, streaming, parallelism, "--source=files", "--input=" + input);
    JobLauncher.Finished finished =
        launcher(config, streaming, parallelism).run(LiveJob.of(config, "bench"));
    return finished.seconds;
  }

  /**
   * The main job's config for the benchmark: embedded Flink, no progress line, everything under
   * {@code runDir}.
   */
  private static JobConfig mainJob(
      Path runDir, boolean streaming, int parallelism, String... source) {
    List<String> args = new ArrayList<>(List.of(source));
    args.add("--dataDir=" + runDir.toAbsolutePath());
    args.add("--progressSeconds=0");
    args.add("--streaming=" + streaming);
    args.add("--parallelism=" + parallelism);
    args.add("--flinkMaster=[local]");
    return JobConfig.from(CommandLine.parseOptions(args.toArray(new String[0])));
  }

  private static JobLauncher launcher(JobConfig config, boolean streaming, int parallelism) {
    FlinkPipelineOptions options = EmbeddedFlink.options(streaming, parallelism);
    options.setObjectReuse(true);
    FileSystems.setDefaultPipelineOptions(options);
    return JobLauncher.forConfig(options, config, new PrintStream(OutputStream.nullOutputStream()));
  }

  /** A raw store written once for the replay mode: where, which dates, how many events. */
  private static final class ReplaySource {
    final String raw;
    final ReplayScope range;
    final long events;

    ReplaySource(String raw, ReplayScope range, long events) {
      this.raw = raw;
      this.range = range;
      this.events = events;
    }
  }

  /**
   * Runs the whole graph once on the generator (Flink batch) to write the raw store the replays
   * read.
   */
  private static ReplaySource writeRawStore(Path dir, List<String> generatorArgs, int parallelism)
      throws Exception {
    WorkDirs.clearEarlierRun(dir);
    List<String> source = new ArrayList<>(List.of("--source=generator"));
    source.addAll(generatorArgs);
    JobConfig config = mainJob(dir, false, parallelism, source.toArray(new String[0]));
    JobLauncher.Finished finished =
        launcher(config, false, parallelism).run(LiveJob.of(config, "bench"));
    long accepted =
        Counters.attempted(
            finished.result, RawStoreIO.Write.METRICS_NAMESPACE, RawStoreIO.Write.RECORDS_COUNTER);
    TreeSet<LocalDate> dates = new TreeSet<>();
    try (Stream<Path> parts = Files.list(Paths.get(config.graph.rawStore()))) {
      parts
          .map(d -> d.getFileName().toString())
          .filter(n -> n.startsWith("dt="))
          .forEach(n -> dates.add(LocalDate.parse(n.substring(3))));
    }
    return new ReplaySource(
        config.graph.rawStore(), ReplayScope.of(dates.first(), dates.last()), accepted);
  }

  /**
   * A raw store written before ({@code --rawStore}): its dates from the partition directories, its
   * events counted by DuckDB.
   */
  private static ReplaySource existingRawStore(String raw) throws Exception {
    TreeSet<LocalDate> dates = new TreeSet<>();
    try (Stream<Path> parts = Files.list(Paths.get(raw))) {
      parts
          .map(d -> d.getFileName().toString())
          .filter(n -> n.startsWith("dt="))
          .forEach(n -> dates.add(LocalDate.parse(n.substring(3))));
    }
    if (dates.isEmpty()) {
      throw new UsageException("--rawStore=" + raw + " has no dt=YYYY-MM-DD partitions");
    }
    long events;
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet('"
                    + DuckDbReplayReference.glob(raw).replace("'", "''")
                    + "', hive_partitioning = false)")) {
      rs.next();
      events = rs.getLong(1);
    }
    return new ReplaySource(raw, ReplayScope.of(dates.first(), dates.last()), events);
  }

  /**
   * One replay of the whole raw store into a fresh warehouse: job, diff and commit, through the
   * launcher; its time is {@code seconds}, of which {@code seconds - jobSeconds} the diff and the
   * commit.
   */
  private static JobLauncher.Finished runReplay(ReplaySource source, Path runDir, int parallelism)
      throws Exception {
    FlinkPipelineOptions options = EmbeddedFlink.options(false, parallelism);
    options.setObjectReuse(true);
    FileSystems.setDefaultPipelineOptions(options);
    GraphConfig config =
        GraphConfig.underDataDir(runDir.toAbsolutePath().toString()).toBuilder()
            .setRawStore(source.raw)
            .build();
    RawReplayJob job =
        RawReplayJob.of(JobConfig.forRawReplay(config, source.range), source.range, false, runDir);
    JobLauncher.Finished finished =
        JobLauncher.withOptions(options, new PrintStream(OutputStream.nullOutputStream())).run(job);
    long eventsRead = RawReplayJob.eventsRead(finished);
    if (eventsRead != source.events) {
      throw new IllegalStateException(
          "the replay read " + eventsRead + " events, the raw store holds " + source.events);
    }
    return finished;
  }

  /**
   * The processor's model as Linux names it ({@code model name} in {@code /proc/cpuinfo}): machines
   * of one kind need not be alike, so a run's figures say which processor they came from. Several
   * models are joined with " + "; "CPU model unknown" where the file is missing or names none (not
   * Linux, or an arm64 kernel, which has no such field).
   */
  static String cpuModel(Path cpuinfo) {
    List<String> lines;
    try {
      lines = Files.readAllLines(cpuinfo, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "CPU model unknown";
    }
    Set<String> models = new LinkedHashSet<>();
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
        String model = line.substring(colon + 1).trim().replaceAll("\\s+", " ");
        if (!model.isEmpty()) {
          models.add(model);
        }
      }
    }
    return models.isEmpty() ? "CPU model unknown" : String.join(" + ", models);
  }

  /**
   * The JVM's garbage collector: G1, Parallel or Serial, or the names of its collectors otherwise.
   */
  static String collector() {
    List<String> names = new ArrayList<>();
    for (java.lang.management.GarbageCollectorMXBean gc :
        ManagementFactory.getGarbageCollectorMXBeans()) {
      names.add(gc.getName());
    }
    if (names.stream().anyMatch(n -> n.startsWith("G1 "))) {
      return "G1";
    }
    if (names.stream().anyMatch(n -> n.startsWith("PS "))) {
      return "Parallel";
    }
    if (names.contains("Copy") || names.contains("MarkSweepCompact")) {
      return "Serial";
    }
    return String.join(" + ", names);
  }

  /**
   * The heap's initial and maximum sizes: "6.0 GiB from the start" when they are the same (as a
   * Flink TaskManager's are), else "up to 6.0 GiB, from 384 MiB" (the JVM grows and shrinks it).
   */
  static String heap() {
    java.lang.management.MemoryUsage heap =
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    String max = String.format(Locale.ROOT, "%.1f GiB", heap.getMax() / (double) (1L << 30));
    return heapFixed()
        ? max + " from the start"
        : String.format(
            Locale.ROOT, "up to %s, from %,d MiB", max, Math.max(0, heap.getInit()) >> 20);
  }

  private static boolean heapFixed() {
    java.lang.management.MemoryUsage heap =
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getInit() > 0 && heap.getInit() == heap.getMax();
  }

  /**
   * CPU time of this process so far (all threads, native ones included), in seconds: a run's events
   * per CPU-second is its throughput per busy core, which other load on the machine changes less
   * than events/s.
   */
  static double processCpuSeconds() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }

  /**
   * CPU time of each of the JVM's JIT compiler threads so far, in nanoseconds by thread id, from
   * Linux's per-thread scheduler statistics ({@code /proc/self/task/<tid>/schedstat}, the time on a
   * CPU, of the threads named {@code C1 CompilerThread*} and {@code C2 CompilerThread*}); null
   * where there is no such directory. Two of these give a run's compiling time ({@link
   * #compilingSeconds}).
   */
  static Map<Long, Long> compilerThreadNanos() {
    Path tasks = Paths.get("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return null;
    }
    Map<Long, Long> nanos = new LinkedHashMap<>();
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path thread : (Iterable<Path>) threads::iterator) {
        try {
          String name = Files.readString(thread.resolve("comm")).trim();
          if (name.contains("CompilerThre")) {
            String stat = Files.readString(thread.resolve("schedstat")).trim();
            nanos.put(
                Long.parseLong(thread.getFileName().toString()),
                Long.parseLong(stat.substring(0, stat.indexOf(' '))));
          }
        } catch (IOException | RuntimeException e) {
          // The thread ended between the listing and the read, or the file is not as expected:
          // it adds nothing.
        }
      }
    } catch (IOException e) {
      return null;
    }
    return nanos;
  }

  /**
   * The part of a run's CPU seconds the compilers took, from {@link #compilerThreadNanos} before
   * and after it: each thread's own difference, a thread that started during the run counted from
   * zero. HotSpot stops a compiler thread that has been idle and starts one when compiles queue up
   * (with {@code -XX:TieredStopAtLevel=1}, say): a thread that ended during the run takes its time
   * since the first reading with it, so the figure is a lower bound, never less than zero. Summing
   * the threads at each reading and subtracting went negative when one ended. NaN where either
   * reading is missing.
   */
  static double compilingSeconds(Map<Long, Long> before, Map<Long, Long> after) {
    if (before == null || after == null) {
      return Double.NaN;
    }
    long nanos = 0;
    for (Map.Entry<Long, Long> thread : after.entrySet()) {
      nanos += Math.max(0, thread.getValue() - before.getOrDefault(thread.getKey(), 0L));
    }
    return nanos / 1e9;
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
  }

  private static long peakHeapBytes() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  private static String peakRss() {
    try {
      for (String line :
          Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmHWM:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return (kb >> 10) + " MiB (VmHWM)";
        }
      }
    } catch (IOException | NumberFormatException ignored) {
      // not Linux: no peak RSS figure
    }
    return "n/a";
  }
}

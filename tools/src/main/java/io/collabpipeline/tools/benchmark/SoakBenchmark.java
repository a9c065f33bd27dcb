package io.collabpipeline.tools.benchmark;

import com.sun.management.GcInfo;
import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.launch.JobConfig;
import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.pipelines.launch.LiveJob;
import io.collabpipeline.pipelines.launch.LocalProgress;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.io.FileSystems;

/**
 * {@code bin/collab-benchmark --modes=soak}: the whole live job ({@code bin/collab-pipeline
 * --streaming=true --source=generator --rate=N}: the same graph, into the local default DuckDB
 * warehouse and stores under a temporary data directory) on embedded Flink streaming at a steady
 * wall-clock rate for {@code --minutes}. Every minute it prints the records generated and accepted
 * (the job's in-JVM counters), the heap in use after a full GC and the resident memory of the
 * process; at the end, the least-squares slope of the heap after GC over the minutes after the
 * warm-up, and whether the heap is flat.
 *
 * <p>"Flat": the heap the slope would add over the measured minutes is under 10% of their mean heap
 * after GC, {@code |slope| × (minutes − warm-up) < 0.10 × mean}.
 *
 * <p>The dedup horizon ({@code --dedupHorizon}, default here 5m instead of the job's 24h) is on the
 * generator's synthetic arrival clock (40 deliveries/s): with the job's default the remembered ids
 * would grow for 24 h of arrival time, so the soak's state would not reach its steady state.
 *
 * <p>The JVM is left when the minutes are over: the job is stopped with it, unfinished.
 */
final class SoakBenchmark {
  /** The share of the mean heap the trend may add over the measured minutes for "flat". */
  static final double FLAT_SHARE = 0.10;

  private SoakBenchmark() {}

  static int run(String[] args) throws Exception {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            " for --modes=soak",
            "--minutes=N",
            "--rate=N",
            "--warmup=MINUTES",
            "--dedupHorizon=DURATION",
            "--parallelism=N",
            "--workDir=DIR");
    long rate = o.positive("rate", 2_000);
    int minutes = o.positiveInt("minutes", 30);
    int warmup = o.positiveOrZero("warmup", 5);
    int parallelism = o.positiveInt("parallelism", 2);
    String dedupHorizon = o.get("dedupHorizon", "5m");
    String workDir = o.get("workDir", null);
    if (minutes < warmup + 2) {
      throw new UsageException(
          "--minutes="
              + minutes
              + " leaves fewer than 2 minutes after the --warmup="
              + warmup
              + " for the heap's slope: raise --minutes or lower --warmup");
    }
    Path dir =
        workDir == null
            ? WorkDirs.temporary("collab-soak")
            : BenchmarkOptions.directory("workDir", workDir);
    // Enough deliveries that the source does not run dry before the last minute.
    long events = rate * (minutes * 60L + 120);
    FlinkPipelineOptions options = EmbeddedFlink.options(true, parallelism);
    options.setObjectReuse(true);
    FileSystems.setDefaultPipelineOptions(options);
    JobConfig config =
        JobConfig.from(
            CommandLine.parseOptions(
                new String[] {
                  "--source=generator",
                  "--events=" + events,
                  "--rate=" + rate,
                  "--streaming=true",
                  "--dedupHorizon=" + dedupHorizon,
                  "--dataDir=" + dir.toAbsolutePath(),
                  // The per-minute lines read the progress counters, which the job only builds
                  // when a progress line is shown (here on a discarded stream).
                  "--progressSeconds=60",
                  "--parallelism=" + parallelism,
                  "--flinkMaster=[local]"
                }));
    System.out.printf(
        Locale.ROOT,
        "collab-benchmark soak: the live job on the generator at %,d records/s for %d min"
            + " (warm-up %d min), embedded Flink streaming, parallelism %d, --dedupHorizon=%s"
            + " (arrival clock), data under %s; %d cores, max heap %,d MiB, load %s%n",
        rate,
        minutes,
        warmup,
        parallelism,
        dedupHorizon,
        dir,
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        loadAverage());
    JobLauncher launcher =
        JobLauncher.forConfig(options, config, new PrintStream(OutputStream.nullOutputStream()));
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread job =
        runInBackground("soak-job", () -> launcher.run(LiveJob.of(config, "soak")), failed);

    System.out.printf(
        Locale.ROOT,
        "%6s %14s %12s %14s %12s %16s %10s%n",
        "minute",
        "generated",
        "per s",
        "accepted",
        "per s",
        "heap after GC",
        "RSS");
    long begin = System.nanoTime();
    long lastGenerated = 0;
    long lastAccepted = 0;
    double[] heapMiB = new double[minutes];
    for (int m = 1; m <= minutes; m++) {
      sleepUntil(begin + m * 60_000_000_000L);
      rethrow(failed);
      if (!job.isAlive()) {
        throw new IllegalStateException("the job ended before the soak's last minute");
      }
      long generated = LocalProgress.get(LocalProgress.RECEIVED);
      long accepted = LocalProgress.get(LocalProgress.ACCEPTED);
      long heap = heapAfterFullGc();
      if (heap < 0) {
        throw new UsageException(
            "5 calls of System.gc() ran no full collection (-XX:+DisableExplicitGC or"
                + " -XX:+ExplicitGCInvokesConcurrent in JAVA_OPTS?): run the soak without them");
      }
      heapMiB[m - 1] = heap / (1024.0 * 1024.0);
      System.out.printf(
          Locale.ROOT,
          "%6d %,14d %,12.0f %,14d %,12.0f %12.1f MiB %6d MiB%n",
          m,
          generated,
          (generated - lastGenerated) / 60.0,
          accepted,
          (accepted - lastAccepted) / 60.0,
          heapMiB[m - 1],
          rssBytes() >> 20);
      lastGenerated = generated;
      lastAccepted = accepted;
    }
    Verdict verdict = Verdict.of(heapMiB, warmup);
    System.out.println(verdict.describe());
    System.out.printf(Locale.ROOT, "load average at the end: %s%n", loadAverage());
    return 0;
  }

  /**
   * The trend of the heap after GC: its least-squares slope over minutes {@code warmup + 1 .. n}
   * (MiB per minute), their mean, and whether it is flat ({@link #FLAT_SHARE}).
   */
  static final class Verdict {
    final int firstMinute;
    final int lastMinute;
    final double slopeMiBPerMinute;
    final double meanMiB;
    final boolean flat;

    private Verdict(int firstMinute, int lastMinute, double slope, double mean) {
      this.firstMinute = firstMinute;
      this.lastMinute = lastMinute;
      this.slopeMiBPerMinute = slope;
      this.meanMiB = mean;
      this.flat = Math.abs(slope) * (lastMinute - firstMinute + 1) < FLAT_SHARE * mean;
    }

    /** {@code heapMiB[i]} is the heap after GC at the end of minute {@code i + 1}. */
    static Verdict of(double[] heapMiB, int warmup) {
      int n = heapMiB.length - warmup;
      if (n < 2) {
        throw new IllegalArgumentException(
            "a slope needs at least 2 minutes after the warm-up, got " + n);
      }
      double sumX = 0;
      double sumY = 0;
      for (int i = warmup; i < heapMiB.length; i++) {
        sumX += i + 1;
        sumY += heapMiB[i];
      }
      double meanX = sumX / n;
      double meanY = sumY / n;
      double sxy = 0;
      double sxx = 0;
      for (int i = warmup; i < heapMiB.length; i++) {
        double dx = i + 1 - meanX;
        sxy += dx * (heapMiB[i] - meanY);
        sxx += dx * dx;
      }
      return new Verdict(warmup + 1, heapMiB.length, sxy / sxx, meanY);
    }

    String describe() {
      int span = lastMinute - firstMinute + 1;
      return String.format(
          Locale.ROOT,
          "heap after GC over minutes %d-%d: slope %+.2f MiB/min, mean %.1f MiB; the trend adds"
              + " %.1f MiB over %d min, %.1f%% of the mean: %s (flat: under %.0f%%)",
          firstMinute,
          lastMinute,
          slopeMiBPerMinute,
          meanMiB,
          Math.abs(slopeMiBPerMinute) * span,
          span,
          100.0 * Math.abs(slopeMiBPerMinute) * span / meanMiB,
          flat ? "FLAT" : "NOT FLAT",
          100 * FLAT_SHARE);
    }
  }

  /**
   * The heap in use after a full collection: {@link System#gc()} (a full, stop-the-world collection
   * on G1, Parallel and Serial unless {@code -XX:+ExplicitGCInvokesConcurrent}), then the heap
   * pools' use at the end of that collection as the collector that ran it reports ({@code
   * GcInfo.getMemoryUsageAfterGc()} of {@code G1 Old Generation} on G1). Minus one if no collector
   * reports a collection for the call.
   */
  static long heapAfterFullGc() throws InterruptedException {
    // A System.gc() may end without a full collection (G1 skips it while a JNI critical section
    // holds the GC locker, e.g. in native compression code): ask again, a few times.
    for (int attempt = 0; attempt < 5; attempt++) {
      long used = heapAfterOneFullGc();
      if (used >= 0) {
        return used;
      }
      Thread.sleep(100);
    }
    return -1;
  }

  private static long heapAfterOneFullGc() {
    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    long[] before = new long[collectors.size()];
    for (int i = 0; i < before.length; i++) {
      before[i] = collectors.get(i).getCollectionCount();
    }
    System.gc();
    Set<String> heapPools = new HashSet<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool.getName());
      }
    }
    for (int i = 0; i < before.length; i++) {
      GarbageCollectorMXBean gc = collectors.get(i);
      if (gc.getCollectionCount() > before[i]
          && gc instanceof com.sun.management.GarbageCollectorMXBean) {
        GcInfo info = ((com.sun.management.GarbageCollectorMXBean) gc).getLastGcInfo();
        // The young collector may run too, before the full one; the full one names "Old",
        // "MarkSweep" or "Full" in its name (G1 Old Generation, PS MarkSweep, MarkSweepCompact).
        String name = gc.getName();
        if (info != null
            && (name.contains("Old") || name.contains("MarkSweep") || name.contains("Full"))) {
          long used = 0;
          for (Map.Entry<String, MemoryUsage> e : info.getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(e.getKey())) {
              used += e.getValue().getUsed();
            }
          }
          return used;
        }
      }
    }
    return -1;
  }

  /** Resident memory of this process (Linux {@code VmRSS}), or -1 elsewhere. */
  static long rssBytes() {
    try {
      for (String line :
          Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
        }
      }
    } catch (IOException | NumberFormatException ignored) {
      // not Linux
    }
    return -1;
  }

  /** The 1, 5 and 15 minute load averages (Linux), to say how busy the machine was. */
  static String loadAverage() {
    try {
      String[] f =
          Files.readString(Paths.get("/proc/loadavg"), StandardCharsets.UTF_8).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** Work that may throw. */
  interface Work {
    void run() throws Exception;
  }

  /** Runs {@code work} on a daemon thread (left when the JVM exits), keeping its failure. */
  static Thread runInBackground(String name, Work work, AtomicReference<Throwable> failed) {
    Thread t =
        new Thread(
            () -> {
              try {
                work.run();
              } catch (Throwable e) {
                failed.set(e);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  static void rethrow(AtomicReference<Throwable> failed) throws Exception {
    Throwable e = failed.get();
    if (e instanceof Exception) {
      throw (Exception) e;
    }
    if (e != null) {
      throw new IllegalStateException("the job failed", e);
    }
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, left / 1_000_000));
    }
  }
}

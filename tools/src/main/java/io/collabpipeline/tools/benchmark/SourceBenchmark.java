package io.collabpipeline.tools.benchmark;

import static io.collabpipeline.tools.benchmark.BenchmarkOptions.median;

import io.collabpipeline.pipelines.EmbeddedFlink;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.launch.LocalProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;

/**
 * {@code bin/collab-benchmark --modes=source}: the generator's unbounded, wall-clock rate-limited
 * source ({@link GeneratorSource#withUnbounded(double)}, the records themselves included) alone on
 * embedded Flink streaming, into a counting sink that discards them. Prints the records/s of every
 * interval (10 s by default) from the first record on, and the median of the whole intervals: what
 * the source sustains at the requested {@code --rate}.
 *
 * <p>The job reads {@code rate × seconds} deliveries; the JVM is left when the measured time is
 * over, whether or not the source has read them all (a source slower than the rate would otherwise
 * keep the command running).
 */
final class SourceBenchmark {
  static final String COUNTED = "benchmark-source";

  private SourceBenchmark() {}

  static int run(String[] args) throws Exception {
    BenchmarkOptions o =
        BenchmarkOptions.parse(
            args,
            " for --modes=source",
            "--rate=N",
            "--seconds=N",
            "--parallelism=N",
            "--interval=SECONDS");
    long rate = o.positive("rate", 25_000);
    long seconds = o.positive("seconds", 60);
    int parallelism = o.positiveInt("parallelism", 2);
    int interval = o.positiveInt("interval", 10);
    if (seconds < interval) {
      throw new UsageException(
          "--seconds=" + seconds + " must be at least one --interval (" + interval + " s)");
    }
    System.out.printf(
        Locale.ROOT,
        "collab-benchmark source: generator unbounded at %,d records/s for %d s, embedded Flink"
            + " streaming, parallelism %d, counting sink; %d cores, %s%n",
        rate,
        seconds,
        parallelism,
        Runtime.getRuntime().availableProcessors(),
        SoakBenchmark.loadAverage());
    FlinkPipelineOptions options = EmbeddedFlink.options(true, parallelism);
    options.setObjectReuse(true);
    Pipeline pipeline = Pipeline.create(options);
    WorkloadSpec spec = WorkloadSpec.defaults().withDeliveries(rate * seconds);
    pipeline
        .apply("ReadGenerator", GeneratorSource.of(spec).withUnbounded(rate))
        .apply("Count", ParDo.of(LocalProgress.counter(COUNTED)));
    LocalProgress.reset();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread job = SoakBenchmark.runInBackground("source-benchmark", pipeline::run, failed);

    // The intervals start at the first counted record: the job's start-up is not the source's.
    while (LocalProgress.get(COUNTED) == 0 && job.isAlive()) {
      Thread.sleep(20);
    }
    SoakBenchmark.rethrow(failed);
    long begin = System.nanoTime();
    long last = LocalProgress.get(COUNTED);
    List<Double> rates = new ArrayList<>();
    for (int i = 1; i <= seconds / interval; i++) {
      SoakBenchmark.sleepUntil(begin + i * interval * 1_000_000_000L);
      long now = LocalProgress.get(COUNTED);
      double perSecond = (now - last) / (double) interval;
      rates.add(perSecond);
      System.out.printf(
          Locale.ROOT,
          "  %4d-%4d s  %,12d records  %,10.0f records/s  (%.1f%% of the rate)%n",
          (i - 1) * interval,
          i * interval,
          now - last,
          perSecond,
          100.0 * perSecond / rate);
      last = now;
      SoakBenchmark.rethrow(failed);
    }
    double median = median(rates);
    System.out.printf(
        Locale.ROOT,
        "median of %d intervals of %d s: %,.0f records/s (%.1f%% of the requested %,d/s); load"
            + " %s%n",
        rates.size(),
        interval,
        median,
        100.0 * median / rate,
        rate,
        SoakBenchmark.loadAverage());
    return 0;
  }
}

package io.collabpipeline.pipelines.launch;

import io.collabpipeline.model.RawRecord;
import io.collabpipeline.pipelines.CollabGraph;
import io.collabpipeline.pipelines.files.NdjsonFiles;
import io.collabpipeline.pipelines.generator.GeneratorSource;
import io.collabpipeline.pipelines.warehouse.GenerationLog;
import java.util.Locale;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The live run: records from the generator, files or Kafka through the whole graph ({@link
 * CollabGraph#apply}), with progress counters; its generation is committed when the run ends well.
 * Build it with {@link #build}, run it with {@link JobLauncher#run}.
 *
 * <pre>{@code
 * JobLauncher.Finished finished = launcher.run(LiveJob.of(config, "FlinkRunner (batch)"));
 * }</pre>
 */
public final class LiveJob implements Job {
  private final JobConfig config;
  private final String runner;

  private LiveJob(JobConfig config, String runner) {
    this.config = config;
    this.runner = runner;
  }

  /** The live job of {@code config}; {@code runner} describes the runner for the start line. */
  public static LiveJob of(JobConfig config, String runner) {
    return new LiveJob(config, runner);
  }

  @Override
  public String startLine() {
    return String.format(
        Locale.ROOT,
        "%s: running on %s, source %s; outputs under %s",
        JobLauncher.NAME,
        runner,
        config.source.name().toLowerCase(Locale.ROOT),
        config.dataDir);
  }

  @Override
  public Optional<GenerationPlan> generation() {
    return Optional.of(
        GenerationPlan.live(
                config.graph.generation(),
                config.graph.warehouse(),
                config.streaming ? GenerationLog.Kind.STREAM : GenerationLog.Kind.BATCH)
            .withSeenWholeFrom(config.graph.seenWholeFrom()));
  }

  @Override
  public Optional<Progress> progress() {
    long total =
        config.source == JobConfig.SourceKind.GENERATOR ? config.workload.deliveries() : -1;
    return Optional.of(new Progress(config.progressSeconds, total));
  }

  @Override
  public void build(Pipeline pipeline) {
    build(pipeline, config);
  }

  /**
   * Builds the live job of {@code config} on {@code pipeline}: the source, progress counters and
   * the one graph.
   */
  public static CollabGraph.Outputs build(Pipeline pipeline, JobConfig config) {
    PCollection<RawRecord> records = readSource(pipeline, config);
    // The progress line's counters only when it is shown: each is one more consumer of the
    // records, which a batch runner hands over by encoding them once more.
    if (config.progressSeconds > 0) {
      records.apply(
          "TrackProgress", ParDo.of(LocalProgress.<RawRecord>counter(LocalProgress.RECEIVED)));
    }
    CollabGraph.Outputs outputs = CollabGraph.apply(records, config.graph);
    if (config.progressSeconds > 0) {
      outputs.acceptedWithoutPayload.apply(
          "TrackAccepted", ParDo.of(LocalProgress.counter(LocalProgress.ACCEPTED)));
    }
    return outputs;
  }

  private static PCollection<RawRecord> readSource(Pipeline pipeline, JobConfig config) {
    switch (config.source) {
      case KAFKA:
        io.collabpipeline.pipelines.kafka.KafkaRecords read = config.kafka.read();
        if (config.resume.startsWithoutState() && config.graph.seenWholeFrom() != null) {
          // A stateless start reads again from T0 (before the committed offsets): the previous
          // job's open raw-store windows were lost with its state (JobLauncher).
          read =
              read.withStartReadTime(
                  new org.joda.time.Instant(config.graph.seenWholeFrom().toEpochMilli()));
        }
        return pipeline.apply("ReadKafka", read);
      case FILES:
        return pipeline.apply(
            "ReadFiles",
            NdjsonFiles.read(config.input).withMaxRecordBytes(config.graph.maxRecordBytes()));
      case GENERATOR:
      default:
        GeneratorSource generator = GeneratorSource.of(config.workload);
        if (config.streaming && config.ratePerSecond > 0) {
          generator = generator.withUnbounded(config.ratePerSecond);
        }
        return pipeline.apply("ReadGenerator", generator);
    }
  }
}

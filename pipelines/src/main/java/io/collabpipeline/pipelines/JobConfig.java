package io.collabpipeline.pipelines;

import io.collabpipeline.pipelines.generator.WorkloadSpec;
import io.collabpipeline.pipelines.options.CollabPipelineOptions;
import io.collabpipeline.transforms.metrics.WindowingPolicy;
import io.collabpipeline.transforms.pii.KeyReference;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.joda.time.Duration;

/**
 * The command line turned into typed values, checked before anything runs: every mistake becomes a {@link
 * UsageException} whose one line names the option and says how to fix it.
 */
public final class JobConfig {
  /** The sources this build reads. Kafka and raw-store replay come with their own issues. */
  public enum SourceKind {
    GENERATOR,
    FILES
  }

  /** The allowed lateness of file inputs: every event in a file counts as on time (see {@link #from}). */
  public static final Duration FILES_ALLOWED_LATENESS = Duration.standardDays(3650);

  public final SourceKind source;
  public final String input;
  public final WorkloadSpec workload;
  public final long ratePerSecond;
  public final boolean streaming;
  public final String dataDir;
  public final GraphConfig graph;
  public final int progressSeconds;

  private JobConfig(
      SourceKind source,
      String input,
      WorkloadSpec workload,
      long ratePerSecond,
      boolean streaming,
      String dataDir,
      GraphConfig graph,
      int progressSeconds) {
    this.source = source;
    this.input = input;
    this.workload = workload;
    this.ratePerSecond = ratePerSecond;
    this.streaming = streaming;
    this.dataDir = dataDir;
    this.graph = graph;
    this.progressSeconds = progressSeconds;
  }

  public static JobConfig from(CollabPipelineOptions o) {
    SourceKind source = parseSource(o.getSource());
    String input = o.getInput();
    if (source == SourceKind.FILES) {
      if (input == null || input.isEmpty()) {
        throw new UsageException(
            "--input is required with --source=files: give a glob of newline-delimited JSON files, "
                + "e.g. --input='/data/in/*.json.gz'");
      }
      requireMatches(input);
    } else if (input != null) {
      throw new UsageException("--input is only read with --source=files; drop it or add --source=files");
    }

    long events = o.getEvents();
    if (events < 1) {
      throw new UsageException("--events=" + events + " must be at least 1");
    }
    if (o.getRate() < 0) {
      throw new UsageException("--rate=" + o.getRate() + " must be 0 (as fast as possible) or a positive records/s");
    }
    WorkloadSpec workload =
        WorkloadSpec.defaults()
            .withDeliveries(events)
            .withSeed(o.getSeed())
            .withDuplicateShare(share("duplicateShare", o.getDuplicateShare()))
            .withLateShare(share("lateShare", o.getLateShare()))
            .withTooLateShare(share("tooLateShare", o.getTooLateShare()))
            .withMalformedShare(share("malformedShare", o.getMalformedShare()));
    double sum = o.getDuplicateShare() + o.getLateShare() + o.getTooLateShare() + o.getMalformedShare();
    if (sum > 0.9) {
      throw new UsageException(
          "--duplicateShare + --lateShare + --tooLateShare + --malformedShare = " + sum + " leaves too few plain "
              + "events; keep the sum at or below 0.9");
    }

    String dataDir = absolute(o.getDataDir(), "dataDir");
    String raw = o.getRawStore() != null ? locationOption("rawStore", o.getRawStore()) : dataDir + "/raw";
    String quarantine =
        o.getQuarantineStore() != null
            ? locationOption("quarantineStore", o.getQuarantineStore())
            : dataDir + "/quarantine";
    String warehouse =
        o.getWarehouseUrl() != null ? o.getWarehouseUrl() : "jdbc:duckdb:" + dataDir + "/warehouse.duckdb";
    if (!io.collabpipeline.pipelines.sinks.Warehouses.isSupported(warehouse)) {
      throw new UsageException("--warehouseUrl=" + io.collabpipeline.pipelines.sinks.Warehouses.redact(warehouse)
          + " is not supported: use one of " + io.collabpipeline.pipelines.sinks.Warehouses.SUPPORTED_SCHEMES);
    }
    if (o.getRawShards() < 1) {
      throw new UsageException("--rawShards=" + o.getRawShards() + " must be at least 1");
    }
    if (o.getMaxRecordBytes() < 1024) {
      throw new UsageException("--maxRecordBytes=" + o.getMaxRecordBytes() + " must be at least 1024");
    }

    KeyReference key;
    try {
      key = KeyReference.parse(o.getPseudonymKey());
      key.resolve();
    } catch (RuntimeException e) {
      throw new UsageException("--pseudonymKey=" + o.getPseudonymKey() + ": " + e.getMessage());
    }

    Duration allowedLateness = Durations.parse("allowedLateness", o.getAllowedLateness());
    if (source == SourceKind.FILES) {
      // A file is one batch delivery whose arrival time is its modification time, not each event's: judged by that,
      // a backfill of last week's events would be "too late" for every window. Every event of a file is on time.
      allowedLateness = FILES_ALLOWED_LATENESS;
    }
    WindowingPolicy windowing =
        WindowingPolicy.defaults()
            .withAllowedLateness(allowedLateness)
            .withEarlyFiringDelay(Durations.parse("earlyFiringDelay", o.getEarlyFiringDelay()));
    GraphConfig graph =
        GraphConfig.builder()
            .setPseudonymKey(key)
            .setMaxRecordBytes(o.getMaxRecordBytes())
            .setDedupHorizon(Durations.parse("dedupHorizon", o.getDedupHorizon()))
            .setWindowing(windowing)
            .setRawStore(raw)
            .setQuarantineStore(quarantine)
            .setWarehouseUrl(warehouse)
            .setRawShards(o.getRawShards())
            .build();
    if (o.getProgressSeconds() < 0) {
      throw new UsageException("--progressSeconds=" + o.getProgressSeconds() + " must be 0 (off) or more");
    }
    return new JobConfig(
        source, input, workload, o.getRate(), o.isStreaming(), dataDir, graph, o.getProgressSeconds());
  }

  private static SourceKind parseSource(String value) {
    String v = value == null ? "" : value.toLowerCase(Locale.ROOT);
    switch (v) {
      case "generator":
        return SourceKind.GENERATOR;
      case "files":
        return SourceKind.FILES;
      case "kafka":
      case "raw":
        throw new UsageException(
            "--source=" + value + " is not available in this build yet; use --source=generator or --source=files");
      default:
        throw new UsageException(
            "--source=" + value + " is unknown; use one of generator, files");
    }
  }

  private static double share(String option, Double value) {
    if (value == null || value.isNaN() || value < 0.0 || value > 1.0) {
      throw new UsageException("--" + option + "=" + value + " must be a share between 0 and 1, e.g. 0.02");
    }
    return value;
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

  private static void requireMatches(String glob) {
    try {
      MatchResult m = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty()) {
        throw new UsageException("--input=" + glob + " matches no files; check the path and quote the glob");
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--input=" + glob + " cannot be read: " + e.getMessage());
    }
  }
}

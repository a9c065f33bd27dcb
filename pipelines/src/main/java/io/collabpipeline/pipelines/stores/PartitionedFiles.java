package io.collabpipeline.pipelines.stores;

import io.collabpipeline.model.Granularity;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.joda.time.Duration;

/**
 * Hive-style hour partitions and the append-only file names shared by the stores' writes ({@link
 * RawStoreIO}, {@link QuarantineIO}), and the option checks they share.
 *
 * <p>A destination is {@code dt=YYYY-MM-DD/hr=HH|shard}: the partition directory plus a shard
 * chosen from a stable property of the element (its event id, its source coordinate), so the same
 * element always lands in the same shard. A file is named {@code <prefix>-<window
 * start>-g<generation>-p<pane>-<shard>-of-<n><suffix>}: the name carries the WRITER (its
 * generation, {@code GraphConfig.generation()}), so no two jobs, restarts or replays ever write the
 * same name, and within one writer it is fixed by the arrival window, the pane index and the shard.
 * The stores are append-only because of that: a file is never replaced by another writer's and
 * nothing here deletes one. The only rewrite of a name is by the same writer re-executing the same
 * window and pane (a Flink restore from a checkpoint or savepoint of the same job, a re-run of a
 * failed batch generation over the same input), which writes the records that window and pane hold
 * in that execution; copies of an event left in two files by such a restore are harmless, since
 * every replay deduplicates by event id.
 */
final class PartitionedFiles {
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter HOUR =
      DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter WINDOW =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final char SHARD_SEPARATOR = '|';
  private static final char WINDOW_SEPARATOR = '@';

  private PartitionedFiles() {}

  /**
   * The last hour's partition path and destination per thread. A writer computes the destination of
   * every element twice (to group by it and again when it writes the group), and consecutive
   * elements nearly always share their hour: formatting the instant each time was a sixth of the
   * raw archive's task in a profile of the benchmark.
   */
  private static final ThreadLocal<LastHour> LAST_HOUR = ThreadLocal.withInitial(LastHour::new);

  private static final class LastHour {
    long hour = Long.MIN_VALUE;
    String path = "";
    int numShards;
    int shard = -1;
    String destination = "";
  }

  /** {@code dt=YYYY-MM-DD/hr=HH} of a UTC instant. */
  static String partitionPath(long epochMillis) {
    return lastHour(epochMillis).path;
  }

  /** {@code dt=YYYY-MM-DD/hr=HH} of a UTC instant, formatted (what {@link LastHour} keeps). */
  static String formatPartitionPath(long epochMillis) {
    Instant t = Instant.ofEpochMilli(epochMillis);
    return "dt=" + DATE.format(t) + "/hr=" + HOUR.format(t);
  }

  private static LastHour lastHour(long epochMillis) {
    LastHour last = LAST_HOUR.get();
    long hour = Granularity.HOUR.windowStart(epochMillis);
    if (hour != last.hour) {
      last.path = formatPartitionPath(epochMillis);
      last.hour = hour;
      last.shard = -1;
    }
    return last;
  }

  /**
   * The destination of an element: its hour partition and a shard that depends only on {@code
   * shardKey}.
   */
  static String destination(long partitionMillis, String shardKey, int numShards) {
    LastHour last = lastHour(partitionMillis);
    // One shard needs no hash of the key (an event id is a new string per decoded element).
    int shard = numShards == 1 ? 0 : Math.floorMod(shardKey.hashCode(), numShards);
    if (shard != last.shard || numShards != last.numShards) {
      last.destination = last.path + SHARD_SEPARATOR + shard;
      last.shard = shard;
      last.numShards = numShards;
    }
    return last.destination;
  }

  /**
   * {@code destination} of one arrival window only ({@code dt=../hr=..|shard@<window start>}): the
   * same files, each a destination of its own, so that a write groups (and a runner spreads over
   * its workers) each window's file apart, not a whole hour's under one key.
   */
  static String inWindow(String destination, long windowStartMillis) {
    return destination + WINDOW_SEPARATOR + windowStartMillis;
  }

  /**
   * A naming for one destination of the writer of {@code generation}, with or without its window
   * ({@link #inWindow}): {@code dt=../hr=../<prefix>-<window
   * start>-g<generation>-p<pane>-<shard>-of-<n><suffix>}.
   */
  static FileIO.Write.FileNaming naming(
      String windowedDestination,
      String filePrefix,
      long generation,
      int numShards,
      String suffix) {
    int window = windowedDestination.indexOf(WINDOW_SEPARATOR);
    String destination =
        window < 0 ? windowedDestination : windowedDestination.substring(0, window);
    int sep = destination.lastIndexOf(SHARD_SEPARATOR);
    if (sep < 0) {
      throw new IllegalArgumentException("not a partitioned destination: " + destination);
    }
    return new DeterministicNaming(
        destination.substring(0, sep),
        filePrefix,
        generation,
        Integer.parseInt(destination.substring(sep + 1)),
        numShards,
        suffix);
  }

  /**
   * Creates a local directory (and its parents) with owner-only permissions, or tightens an
   * existing one, where the file system supports POSIX permissions. Does nothing for non-local
   * prefixes ({@code s3://...}): access there is the bucket policy's job.
   */
  static void ensurePrivateLocalDirectory(String prefix) throws IOException {
    Path dir = localPath(prefix);
    if (dir == null) {
      return;
    }
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rwx------");
    if (!Files.isDirectory(dir)) {
      if (dir.getParent() != null) {
        Files.createDirectories(dir.getParent());
      }
      try {
        if (posix) {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(ownerOnly));
        } else {
          Files.createDirectory(dir);
        }
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another worker created it first; fall through and tighten it below
      }
    }
    if (posix) {
      // createDirectory is subject to the umask and the directory may predate us: set the mode
      // explicitly.
      Files.setPosixFilePermissions(dir, ownerOnly);
    }
  }

  /** The local path of a prefix without a scheme or with {@code file:}, else null. */
  static Path localPath(String prefix) {
    if (prefix.startsWith("file://")) {
      return Paths.get(prefix.substring("file://".length()));
    }
    if (prefix.startsWith("file:")) {
      return Paths.get(prefix.substring("file:".length()));
    }
    if (prefix.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return null;
    }
    return Paths.get(prefix);
  }

  /** {@code prefix} with exactly one trailing slash, for globbing below it. */
  static String asDirectory(String prefix) {
    return prefix.endsWith("/") ? prefix : prefix + "/";
  }

  /**
   * {@code prefix} for display data: a URI's user info ({@code scheme://user:secret@host/...}),
   * were one ever given, is replaced by {@code ***}. Store credentials are passed by reference
   * ({@code --s3Credentials}), never in the prefix.
   */
  static String displayable(String prefix) {
    return prefix == null
        ? null
        : prefix.replaceFirst("^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", "$1***@");
  }

  private static final class DeterministicNaming implements FileIO.Write.FileNaming {
    private static final long serialVersionUID = 1L;
    private final String partition;
    private final String filePrefix;
    private final long generation;
    private final int shard;
    private final int numShards;
    private final String suffix;

    DeterministicNaming(
        String partition,
        String filePrefix,
        long generation,
        int shard,
        int numShards,
        String suffix) {
      this.partition = partition;
      this.filePrefix = filePrefix;
      this.generation = generation;
      this.shard = shard;
      this.numShards = numShards;
      this.suffix = suffix;
    }

    @Override
    public String getFilename(
        BoundedWindow window,
        PaneInfo pane,
        int writerShards,
        int writerShardIndex,
        Compression compression) {
      // Each destination is written by exactly one writer shard (withNumShards(1)); our own shard
      // is in the destination.
      String windowPart =
          window instanceof IntervalWindow
              ? WINDOW.format(Instant.ofEpochMilli(((IntervalWindow) window).start().getMillis()))
              : "global";
      return String.format(
          "%s/%s-%s-g%d-p%d-%05d-of-%05d%s",
          partition,
          filePrefix,
          windowPart,
          generation,
          pane.getIndex(),
          shard,
          numShards,
          suffix + compression.getSuggestedSuffix());
    }
  }

  /**
   * Checks the options every partitioned file sink shares; each message names the {@code withX()}
   * to fix, prefixed with the sink's name.
   */
  static void checkOptions(
      String sink,
      String prefix,
      long generation,
      int numShards,
      Duration windowSize,
      Duration allowedLateness) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException(
          sink + ".write(prefix) needs a non-empty directory or URI prefix");
    }
    checkGeneration(sink, generation);
    if (numShards < 1) {
      throw new IllegalArgumentException(sink + ".withNumShards(n) needs n >= 1, got " + numShards);
    }
    if (windowSize.getMillis() <= 0) {
      throw new IllegalArgumentException(
          sink + ".withWindowSize(d) needs a positive duration, got " + windowSize);
    }
    if (allowedLateness.getMillis() < 0) {
      throw new IllegalArgumentException(
          sink + ".withAllowedLateness(d) needs a non-negative duration, got " + allowedLateness);
    }
  }

  /**
   * Every file name carries its writer's generation: a write without one (or with a non-positive
   * one) is refused, naming {@code withGeneration}.
   */
  static void checkGeneration(String sink, long generation) {
    if (generation < 1) {
      throw new IllegalArgumentException(
          sink
              + " needs the writer's generation, a positive number (GraphConfig.generation()): use"
              + " withGeneration(g); every file name carries it, so that no other job, restart or"
              + " replay can write the same name; got "
              + generation);
    }
  }

  /**
   * Fixed windows over the elements' timestamps (arrival time) after which files are finalized;
   * elements behind the watermark within the allowed lateness go into a later pane's file instead
   * of being dropped.
   */
  static <T> Window<T> arrivalWindows(Duration windowSize, Duration allowedLateness) {
    return Window.<T>into(FixedWindows.of(windowSize))
        .withAllowedLateness(allowedLateness)
        .discardingFiredPanes();
  }
}

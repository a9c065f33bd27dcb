package io.collabpipeline.tools.audit;

import io.collabpipeline.pipelines.GraphConfig;
import io.collabpipeline.pipelines.s3.CollabS3ClientBuilderFactory;
import io.collabpipeline.pipelines.s3.S3Setup;
import io.collabpipeline.tools.files.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptions;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The objects of {@code s3://} stores that an audit of an arrival range can need, copied into a
 * private temporary directory (owner-only, {@code rwx------}: the quarantine holds unminimized
 * payloads), so that the audit's DuckDB queries run over local files as they do for local stores.
 * {@link #close} deletes the directory; a shutdown hook deletes it too if the process is stopped
 * before.
 *
 * <p>What is fetched, by the names the stores' writers give their files ({@code PartitionedFiles},
 * {@code RawStoreIO}, {@code QuarantineIO}): a file's name carries the start of the arrival window
 * it holds ({@code part-<yyyyMMdd'T'HHmmss'Z'>-g..} in the raw store and the duplicate ledger,
 * {@code quarantine-<..>-g..} in the quarantine; one-minute windows) or, for a quarantine replay's
 * additions to the raw store, the arrival date ({@code revalidated-a<yyyyMMdd>-g..}). A file is
 * fetched when its window starts in {@code [from - }{@value #NAME_SLACK_MILLIS}{@code ms, to)} or
 * its arrival date is in the range (with the same slack): over-fetching is harmless, the query
 * filters by arrival ({@code received_at}) anyway, and the slack covers a writer with a longer
 * window. The raw store and the ledger are partitioned by EVENT time, which may be any date, so
 * every {@code dt=/hr=} partition is listed (by delimiter) and, in each, only the names of the
 * range are listed ({@code start-after} the range's first name, stopping after its last). The
 * quarantine is partitioned by arrival, so only the dates of the range are listed.
 *
 * <p>The S3 client is the pipeline's ({@link CollabS3ClientBuilderFactory}, after {@link
 * S3Setup#configure}): the same {@code --endpoint}, {@code --s3PathStyle}, {@code --s3Credentials}
 * and {@code --awsRegion}.
 */
final class S3StoreSnapshot implements AutoCloseable {
  /**
   * How far before the range's start a file's arrival window may start and still be fetched: the
   * writers' windows are one minute; an hour keeps a longer window safe at the cost of an hour more
   * objects.
   */
  static final long NAME_SLACK_MILLIS = 3_600_000L;

  private static final DateTimeFormatter WINDOW =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** {@code start-after} is exclusive, and {@code revalidated-a20261102-g..} sorts after it. */
  private static final DateTimeFormatter COMPACT_DATE = DateTimeFormatter.BASIC_ISO_DATE;

  private static final Pattern WINDOWED =
      Pattern.compile("^(?:part|quarantine)-(\\d{8}T\\d{6}Z)-g.*");
  private static final Pattern REVALIDATED = Pattern.compile("^revalidated-a(\\d{8})-g.*");
  private static final String RAW_PREFIX = "part-";
  private static final String REVALIDATED_PREFIX = "revalidated-a";
  private static final String QUARANTINE_PREFIX = "quarantine-";

  private final S3Client s3;
  private final Path dir;
  private final PrintStream progress;
  private final long progressEveryMillis;
  private final long lowMillis;
  private final long toMillis;
  private final Thread cleanup;
  private long objects;
  private long bytes;

  private S3StoreSnapshot(
      S3Client s3,
      Path dir,
      PrintStream progress,
      long progressEveryMillis,
      long fromMillis,
      long toMillis) {
    this.s3 = s3;
    this.dir = dir;
    this.progress = progress;
    this.progressEveryMillis = progressEveryMillis;
    this.lowMillis = fromMillis - NAME_SLACK_MILLIS;
    this.toMillis = toMillis;
    this.cleanup = new Thread(() -> deleteQuietly(dir), "collab-audit-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /**
   * A snapshot for the arrival range {@code [fromMillis, toMillis)}, with the S3 client the
   * pipeline builds from {@code options} (on which {@link S3Setup#configure} has run); progress
   * lines go to {@code progress} every {@code progressSeconds} (0: only the summary).
   */
  static S3StoreSnapshot open(
      PipelineOptions options,
      PrintStream progress,
      int progressSeconds,
      long fromMillis,
      long toMillis)
      throws IOException {
    Path dir = privateTempDirectory();
    S3Client s3;
    try {
      s3 =
          new CollabS3ClientBuilderFactory()
              .createBuilder(options.as(org.apache.beam.sdk.io.aws2.options.S3Options.class))
              .build();
    } catch (RuntimeException e) {
      deleteQuietly(dir);
      throw e;
    }
    return new S3StoreSnapshot(s3, dir, progress, progressSeconds * 1000L, fromMillis, toMillis);
  }

  /** The private directory the objects are copied into. */
  Path directory() {
    return dir;
  }

  /**
   * Copies what the range needs of a store partitioned by event time (the raw store, the duplicate
   * ledger) at {@code location} into {@code <directory>/<localName>}; returns that local path
   * (possibly empty or missing: nothing to audit there).
   */
  String fetchEventTimePartitioned(String location, String localName) throws IOException {
    Location loc = Location.parse(location);
    List<S3Object> wanted = new ArrayList<>();
    for (String dt : childPrefixes(loc.bucket, loc.prefix, "dt=")) {
      for (String hr : childPrefixes(loc.bucket, dt, "hr=")) {
        wanted.addAll(
            listRange(
                loc.bucket,
                hr + RAW_PREFIX,
                hr + RAW_PREFIX + WINDOW.format(Instant.ofEpochMilli(lowMillis)),
                key -> windowStart(key) < toMillis));
        wanted.addAll(
            listRange(
                loc.bucket,
                hr + REVALIDATED_PREFIX,
                hr + REVALIDATED_PREFIX + COMPACT_DATE.format(lowDate()),
                key -> !revalidatedDate(key).isAfter(toDate())));
      }
    }
    return fetch(loc, wanted, localName);
  }

  /**
   * Copies what the range needs of the quarantine (partitioned by arrival date and hour) at {@code
   * location} into {@code <directory>/<localName>}; returns that local path.
   */
  String fetchArrivalPartitioned(String location, String localName) throws IOException {
    Location loc = Location.parse(location);
    List<S3Object> wanted = new ArrayList<>();
    for (LocalDate d = lowDate(); !d.isAfter(toDate()); d = d.plusDays(1)) {
      for (S3Object o : list(loc.bucket, loc.prefix + "dt=" + d + "/")) {
        String name = fileName(o.key());
        if (name.endsWith(".jsonl") && wantedByName(name)) {
          wanted.add(o);
        }
      }
    }
    return fetch(loc, wanted, localName);
  }

  /**
   * {@code scope} over local copies: each {@code s3://} store (the raw store with its duplicate
   * ledger, the quarantine) fetched into this snapshot's directory; local stores stay as they are.
   */
  CollabAudit.Scope localScope(CollabAudit.Scope scope) throws IOException {
    String raw = scope.rawStore;
    if (S3Setup.isS3(raw)) {
      raw = fetchEventTimePartitioned(scope.rawStore, "raw");
      // GraphConfig.duplicateLedgerOf(<dir>/raw) is <dir>/raw-duplicates: where the audit looks.
      fetchEventTimePartitioned(GraphConfig.duplicateLedgerOf(scope.rawStore), "raw-duplicates");
    }
    String quarantine = scope.quarantineStore;
    if (S3Setup.isS3(quarantine)) {
      quarantine = fetchArrivalPartitioned(scope.quarantineStore, "quarantine");
    }
    return new CollabAudit.Scope(raw, quarantine, scope.warehouseUrl, scope.from, scope.to);
  }

  /** Whether a file of this name can hold an arrival of the range; unknown names: yes. */
  boolean wantedByName(String name) {
    Matcher w = WINDOWED.matcher(name);
    if (w.matches()) {
      long start = Instant.from(WINDOW.parse(w.group(1))).toEpochMilli();
      return start >= lowMillis && start < toMillis;
    }
    Matcher r = REVALIDATED.matcher(name);
    if (r.matches()) {
      LocalDate date = LocalDate.parse(r.group(1), DateTimeFormatter.BASIC_ISO_DATE);
      return !date.isBefore(lowDate()) && !date.isAfter(toDate());
    }
    return true;
  }

  private LocalDate lowDate() {
    return Instant.ofEpochMilli(lowMillis).atZone(ZoneOffset.UTC).toLocalDate();
  }

  private LocalDate toDate() {
    return Instant.ofEpochMilli(toMillis - 1).atZone(ZoneOffset.UTC).toLocalDate();
  }

  private static long windowStart(String key) {
    Matcher w = WINDOWED.matcher(fileName(key));
    return w.matches() ? Instant.from(WINDOW.parse(w.group(1))).toEpochMilli() : Long.MIN_VALUE;
  }

  private static LocalDate revalidatedDate(String key) {
    Matcher r = REVALIDATED.matcher(fileName(key));
    return r.matches()
        ? LocalDate.parse(r.group(1), DateTimeFormatter.BASIC_ISO_DATE)
        : LocalDate.MIN;
  }

  private static String fileName(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /** The "directories" directly below {@code prefix} whose name starts with {@code name}. */
  private List<String> childPrefixes(String bucket, String prefix, String name) {
    List<String> children = new ArrayList<>();
    for (ListObjectsV2Response page :
        s3.listObjectsV2Paginator(
            ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).delimiter("/").build())) {
      for (CommonPrefix p : page.commonPrefixes()) {
        if (p.prefix().startsWith(prefix + name)) {
          children.add(p.prefix());
        }
      }
    }
    return children;
  }

  /**
   * The objects under {@code prefix} after {@code startAfter}, in key order, up to the first whose
   * key fails {@code inRange} (names of one writer sort by their arrival).
   */
  private List<S3Object> listRange(
      String bucket, String prefix, String startAfter, Predicate<String> inRange) {
    List<S3Object> found = new ArrayList<>();
    for (ListObjectsV2Response page :
        s3.listObjectsV2Paginator(
            ListObjectsV2Request.builder()
                .bucket(bucket)
                .prefix(prefix)
                .startAfter(startAfter)
                .build())) {
      for (S3Object o : page.contents()) {
        if (!inRange.test(o.key())) {
          return found;
        }
        if (o.key().endsWith(".parquet") && wantedByName(fileName(o.key()))) {
          found.add(o);
        }
      }
    }
    return found;
  }

  private List<S3Object> list(String bucket, String prefix) {
    List<S3Object> found = new ArrayList<>();
    for (ListObjectsV2Response page :
        s3.listObjectsV2Paginator(
            ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())) {
      found.addAll(page.contents());
    }
    return found;
  }

  /** Copies {@code wanted} under {@code <directory>/<localName>}, keys relative to the store. */
  private String fetch(Location loc, List<S3Object> wanted, String localName) throws IOException {
    Path root = dir.resolve(localName);
    createPrivateDirectories(root);
    long total = wanted.stream().mapToLong(S3Object::size).sum();
    progress.printf(
        Locale.ROOT,
        "collab-audit: fetching %d objects (%s) of %s into the private temporary directory %s%n",
        wanted.size(),
        mib(total),
        loc,
        root);
    long started = System.currentTimeMillis();
    long lastShown = started;
    long storeObjects = 0;
    long storeBytes = 0;
    for (S3Object o : wanted) {
      Path target = root.resolve(o.key().substring(loc.prefix.length())).normalize();
      if (!target.startsWith(root)) {
        throw new IOException("refusing an object key outside the store: " + o.key());
      }
      createPrivateDirectories(target.getParent());
      long copied = copy(loc.bucket, o.key(), target);
      storeObjects++;
      storeBytes += copied;
      objects++;
      bytes += copied;
      long now = System.currentTimeMillis();
      if (progressEveryMillis > 0 && now - lastShown >= progressEveryMillis) {
        lastShown = now;
        progress.printf(
            Locale.ROOT,
            "collab-audit: fetched %d/%d objects, %s of %s%n",
            storeObjects,
            wanted.size(),
            mib(storeBytes),
            mib(total));
      }
    }
    progress.printf(
        Locale.ROOT,
        "collab-audit: fetched %d objects, %s of %s in %.1f s%n",
        storeObjects,
        mib(storeBytes),
        loc,
        (System.currentTimeMillis() - started) / 1000.0);
    return root.toString();
  }

  private long copy(String bucket, String key, Path target) throws IOException {
    Files.deleteIfExists(target);
    if (posix()) {
      Files.createFile(target, PosixFilePermissions.asFileAttribute(OWNER_FILE));
    } else {
      Files.createFile(target);
    }
    try (ResponseInputStream<GetObjectResponse> in =
            s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build());
        OutputStream out =
            Files.newOutputStream(
                target, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      return ((InputStream) in).transferTo(out);
    }
  }

  /** Objects and bytes fetched so far, over every store. */
  long objects() {
    return objects;
  }

  long bytes() {
    return bytes;
  }

  @Override
  public void close() {
    try {
      s3.close();
    } finally {
      deleteQuietly(dir);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  private static final Set<PosixFilePermission> OWNER_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE =
      PosixFilePermissions.fromString("rw-------");

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static Path privateTempDirectory() throws IOException {
    if (posix()) {
      FileAttribute<Set<PosixFilePermission>> attr =
          PosixFilePermissions.asFileAttribute(OWNER_DIR);
      Path dir = Files.createTempDirectory("collab-audit-", attr);
      // the umask may have narrowed the mode, never widened it; set it exactly anyway
      Files.setPosixFilePermissions(dir, OWNER_DIR);
      return dir;
    }
    return Files.createTempDirectory("collab-audit-");
  }

  private static void createPrivateDirectories(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      return;
    }
    createPrivateDirectories(path.getParent());
    if (posix()) {
      Files.createDirectory(path, PosixFilePermissions.asFileAttribute(OWNER_DIR));
    } else {
      Files.createDirectory(path);
    }
  }

  /** Removes the snapshot's directory; a failure is reported on stderr, not thrown. */
  static void deleteQuietly(Path dir) {
    FileTrees.deleteQuietly(
        dir,
        "collab-audit: could not delete the temporary directory "
            + dir
            + " (it holds quarantine payloads: delete it by hand)");
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  /** {@code s3://bucket/prefix} as the bucket and the key prefix ending in {@code /} (or empty). */
  static final class Location {
    final String bucket;
    final String prefix;
    private final String uri;

    private Location(String bucket, String prefix, String uri) {
      this.bucket = bucket;
      this.prefix = prefix;
      this.uri = uri;
    }

    static Location parse(String location) {
      if (!S3Setup.isS3(location)) {
        throw new IllegalArgumentException("not an s3:// location: " + location);
      }
      URI u = URI.create(location);
      String bucket = u.getHost();
      if (bucket == null || bucket.isEmpty()) {
        throw new IllegalArgumentException("no bucket in " + location);
      }
      String path = u.getPath() == null ? "" : u.getPath();
      while (path.startsWith("/")) {
        path = path.substring(1);
      }
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      return new Location(bucket, path.isEmpty() ? "" : path + "/", location);
    }

    @Override
    public String toString() {
      return uri;
    }
  }
}

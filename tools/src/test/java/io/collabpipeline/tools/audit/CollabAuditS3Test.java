package io.collabpipeline.tools.audit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import io.collabpipeline.pipelines.launch.JobLauncher;
import io.collabpipeline.tools.devstack.LocalS3;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Issue 9, point 3, on S3: the main job (embedded Flink, generated workload with duplicates and
 * malformed records) writes its raw store, duplicate ledger and quarantine to an S3-compatible
 * endpoint (S3Mock, out of process); the audit, given the same store and S3 options, fetches what
 * the day needs, accounts for every offset and exits 0, its counts equal to those read from the
 * bucket's objects by this test's own S3 client; after one raw object is deleted from the bucket it
 * exits 3 and names exactly the offsets that object held. The private temporary directory is gone
 * after every run, also after a failed one (an unreachable endpoint: exit 1, one line).
 */
public class CollabAuditS3Test {
  static final int EVENTS = 3_000;
  static final String DAY = "2026-11-02"; // the generator's default arrival day
  static final String RAW_BUCKET = "audit-raw";
  static final String QUARANTINE_BUCKET = "audit-quarantine";
  static final String RAW = "s3://" + RAW_BUCKET + "/run/raw";
  static final String QUARANTINE = "s3://" + QUARANTINE_BUCKET + "/run/quarantine";

  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static LocalS3 s3;
  private static S3Client client;

  @BeforeClass
  public static void startS3() throws Exception {
    s3 = LocalS3.start(TMP.newFolder("s3").toPath(), RAW_BUCKET, QUARANTINE_BUCKET);
    client =
        S3Client.builder()
            .endpointOverride(s3.endpoint())
            .region(LocalS3.REGION)
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
            .httpClientBuilder(ApacheHttpClient.builder())
            .build();
  }

  @AfterClass
  public static void stopS3() {
    if (client != null) {
      client.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  public void everyOffsetOnS3IsAccountedForUntilARawObjectIsDeletedThenExactlyItsOffsetsAreLost()
      throws Exception {
    Path data = TMP.newFolder("data").toPath();
    List<String> jobArgs =
        new ArrayList<>(
            List.of(
                "--events=" + EVENTS,
                "--rawShards=4",
                "--dataDir=" + data,
                "--rawStore=" + RAW,
                "--quarantineStore=" + QUARANTINE,
                "--allowDevKey=true",
                "--progressSeconds=0"));
    jobArgs.addAll(s3.pipelineArgs());
    ByteArrayOutputStream job = new ByteArrayOutputStream();
    PrintStream jobOut = new PrintStream(job, true, StandardCharsets.UTF_8);
    int exit = JobLauncher.runCli(jobArgs.toArray(new String[0]), jobOut, jobOut);
    assertThat(job.toString(StandardCharsets.UTF_8), exit, is(0));

    // The independent count: every object of the bucket, read by this test's own client.
    Path copy = TMP.newFolder("copy").toPath();
    List<Path> raw = download(RAW_BUCKET, "run/raw/", copy.resolve("raw"));
    List<Path> ledger = download(RAW_BUCKET, "run/raw-duplicates/", copy.resolve("ledger"));
    List<Path> quarantine = download(QUARANTINE_BUCKET, "run/quarantine/", copy.resolve("q"));
    long rawRows = parquetRows(raw);
    long ledgerRows = parquetRows(ledger);
    long quarantineLines = 0;
    for (Path q : quarantine) {
      quarantineLines += Files.readAllLines(q).stream().filter(l -> !l.isEmpty()).count();
    }
    assertThat("duplicates in the ledger", ledgerRows, greaterThan(0L));
    assertThat("malformed records in the quarantine", quarantineLines, greaterThan(0L));
    assertThat(rawRows + ledgerRows + quarantineLines, is((long) EVENTS));

    Run clean = audit(data);
    System.out.print(clean.out);
    assertThat(clean.out, clean.exit, is(CollabAudit.EXIT_OK));
    assertThat(clean.out, containsString("OK, every offset accounted for"));
    assertThat(clean.out, containsString("offsets 0-" + (EVENTS - 1)));
    assertThat(clean.out, sum(clean.out, "raw"), is(rawRows));
    assertThat(clean.out, sum(clean.out, "duplicate"), is(ledgerRows));
    assertThat(clean.out, sum(clean.out, "quarantined"), is(quarantineLines));
    assertTemporaryDirectoriesGone(clean.out);

    // Only what the range can need is fetched: the next day (an hour of slack before it) needs
    // none of these objects, all of which arrived at 08:00.
    List<String> nextDay = new ArrayList<>(List.of("--dataDir=" + data, "--from=2026-11-03"));
    nextDay.addAll(
        List.of("--to=2026-11-03", "--rawStore=" + RAW, "--quarantineStore=" + QUARANTINE));
    nextDay.addAll(s3.pipelineArgs());
    Run other = run(nextDay.toArray(new String[0]));
    assertThat(other.out, other.exit, is(CollabAudit.EXIT_OK));
    assertThat(other.out, containsString("fetching 0 objects (0.0 MiB) of " + RAW + " "));
    assertThat(other.out, containsString("fetching 0 objects (0.0 MiB) of " + QUARANTINE + " "));
    assertThat(other.out, containsString("(0 partition-hours"));
    assertThat(other.out, containsString("collab-audit: nothing to audit: no record"));
    assertThat(other.out, not(containsString("OK, every offset accounted for")));

    // A raw object holding neither the first nor the last offset, its offsets read before the
    // delete.
    Path victim = null;
    TreeSet<Long> victimOffsets = null;
    for (Path file : raw) {
      TreeSet<Long> offsets = CollabAuditTest.offsets(file);
      if (!offsets.contains(0L) && !offsets.contains((long) EVENTS - 1)) {
        victim = file;
        victimOffsets = offsets;
        break;
      }
    }
    assertThat("a raw object inside the offset range", victim == null, is(false));
    String victimKey = "run/raw/" + copy.resolve("raw").relativize(victim).toString();
    client.deleteObject(DeleteObjectRequest.builder().bucket(RAW_BUCKET).key(victimKey).build());

    Run lost = audit(data);
    System.out.print(lost.out);
    assertThat(lost.out, lost.exit, is(CollabAudit.EXIT_LOST));
    assertThat(lost.out, containsString("LOST " + victimOffsets.size() + " offsets"));
    assertThat(
        CollabAuditTest.lostOffsetsOfLastAudit(data),
        is(victimOffsets.stream().map(String::valueOf).collect(Collectors.joining(","))));
    assertTemporaryDirectoriesGone(lost.out);
  }

  @Test
  public void anUnreachableEndpointIsOneLineAndExit1AndLeavesNoTemporaryDirectory()
      throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Set<Path> before = auditTemporaryDirectories();
    Run run =
        run(
            "--dataDir=" + TMP.newFolder("unreachable"),
            "--from=" + DAY,
            "--to=" + DAY,
            "--rawStore=" + RAW,
            "--quarantineStore=" + QUARANTINE,
            "--awsRegion=" + LocalS3.REGION.id(),
            "--endpoint=http://127.0.0.1:" + closedPort,
            "--s3PathStyle=true",
            "--s3Credentials=" + s3.credentialsReference());
    System.out.print(run.out);
    assertThat(run.out, run.exit, is(CollabAudit.EXIT_FAILED));
    assertThat(run.out, run.out.trim().split("\n").length, is(1));
    assertThat(run.out, containsString("collab-audit: S3 failed (endpoint http://127.0.0.1:"));
    assertThat(run.out, not(containsString("\tat ")));
    assertThat(auditTemporaryDirectories(), is(before));
  }

  @Test
  public void badS3OptionsAreOneLineUsageErrors() throws Exception {
    Run run =
        run(
            "--dataDir=" + TMP.newFolder("usage"),
            "--from=" + DAY,
            "--to=" + DAY,
            "--rawStore=" + RAW,
            "--awsRegion=" + LocalS3.REGION.id(),
            "--endpoint=ftp://127.0.0.1:1",
            "--s3Credentials=" + s3.credentialsReference());
    assertThat(run.out, run.exit, is(CollabAudit.EXIT_USAGE));
    assertThat(run.out, run.out.trim().split("\n").length, is(1));
    assertThat(run.out, containsString("--endpoint=ftp://127.0.0.1:1 is not an http(s)"));

    Run credentials =
        run(
            "--dataDir=" + TMP.newFolder("usage2"),
            "--from=" + DAY,
            "--to=" + DAY,
            "--rawStore=" + RAW,
            "--awsRegion=" + LocalS3.REGION.id(),
            "--endpoint=" + s3.endpoint(),
            "--s3Credentials=file:/nonexistent/credentials.properties");
    assertThat(credentials.out, credentials.exit, is(CollabAudit.EXIT_USAGE));
    assertThat(credentials.out, credentials.out.trim().split("\n").length, is(1));
    assertThat(credentials.out, containsString("--s3Credentials"));
  }

  @Test
  public void theTemporaryDirectoryIsOwnerOnlyAndRemovedOnClose() throws Exception {
    org.apache.beam.sdk.options.PipelineOptions options =
        s3.applyTo(org.apache.beam.sdk.options.PipelineOptionsFactory.create());
    io.collabpipeline.pipelines.s3.S3Setup.configure(options, RAW);
    Path dir;
    try (S3StoreSnapshot snapshot = S3StoreSnapshot.open(options, System.err, 0, 0L, 86_400_000L)) {
      dir = snapshot.directory();
      assertThat(
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), is("rwx------"));
      // an empty store: nothing fetched, the local directory is there and owner-only too
      Path raw = Paths.get(snapshot.fetchEventTimePartitioned("s3://" + RAW_BUCKET + "/none", "r"));
      assertThat(
          PosixFilePermissions.toString(Files.getPosixFilePermissions(raw)), is("rwx------"));
    }
    assertThat(Files.exists(dir), is(false));
  }

  // ---------------------------------------------------------------------------------------------

  private static final class Run {
    final int exit;
    final String out;

    Run(int exit, String out) {
      this.exit = exit;
      this.out = out;
    }
  }

  private static Run audit(Path data) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--dataDir=" + data,
                "--from=" + DAY,
                "--to=" + DAY,
                "--rawStore=" + RAW,
                "--quarantineStore=" + QUARANTINE));
    args.addAll(s3.pipelineArgs());
    return run(args.toArray(new String[0]));
  }

  private static Run run(String... args) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int exit = CollabAudit.run(args, out, out);
    return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
  }

  /** The sum of a count ({@code raw 12}, {@code duplicate 3}) over the report's lines. */
  private static long sum(String report, String count) {
    Matcher m = Pattern.compile("[:,] " + count + " (\\d+)").matcher(report);
    long total = 0;
    while (m.find()) {
      total += Long.parseLong(m.group(1));
    }
    return total;
  }

  private static final Pattern TEMPORARY = Pattern.compile("private temporary directory (\\S+)");

  /** Every temporary directory the run named (one per store) no longer exists, nor its root. */
  private static void assertTemporaryDirectoriesGone(String report) {
    Matcher m = TEMPORARY.matcher(report);
    List<Path> named = new ArrayList<>();
    while (m.find()) {
      named.add(Paths.get(m.group(1)));
    }
    assertThat(report, named, not(empty()));
    for (Path p : named) {
      assertThat(report, Files.exists(p), is(false));
      assertThat(report, Files.exists(p.getParent()), is(false));
    }
  }

  private static Set<Path> auditTemporaryDirectories() throws Exception {
    try (Stream<Path> dirs = Files.list(Paths.get(System.getProperty("java.io.tmpdir")))) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("collab-audit-"))
          .collect(Collectors.toSet());
    }
  }

  /** Every object under {@code prefix}, copied under {@code into} by its key below the prefix. */
  private static List<Path> download(String bucket, String prefix, Path into) throws Exception {
    List<Path> files = new ArrayList<>();
    for (var page :
        client.listObjectsV2Paginator(
            ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())) {
      for (S3Object o : page.contents()) {
        if (!(o.key().endsWith(".parquet") || o.key().endsWith(".jsonl"))) {
          continue;
        }
        Path target = into.resolve(o.key().substring(prefix.length()));
        Files.createDirectories(target.getParent());
        client.getObject(
            GetObjectRequest.builder().bucket(bucket).key(o.key()).build(),
            ResponseTransformer.toFile(target));
        files.add(target);
      }
    }
    files.sort(null);
    return files;
  }

  private static long parquetRows(List<Path> files) throws Exception {
    long rows = 0;
    for (Path f : files) {
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          ResultSet rs =
              c.createStatement().executeQuery("SELECT count(*) FROM read_parquet('" + f + "')")) {
        rs.next();
        rows += rs.getLong(1);
      }
    }
    return rows;
  }
}

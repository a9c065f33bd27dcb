package io.collabpipeline.tools.erasure;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.RawRecord;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.model.SourceRef;
import io.collabpipeline.pipelines.stores.QuarantineIO;
import io.collabpipeline.pipelines.stores.RawStoreSchema;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKey;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 10, point 4: an erasure requested by a {@code user.erasure_requested} event in the raw
 * store (or by an operator) removes the user's rows from every user-level table, the user's
 * quarantined records and the user's pseudonym secret, leaves the other user alone, enforces the
 * quarantine's retention, completes the ledger row without its key index, and a second run removes
 * nothing; a request past its due time and not complete exits 3.
 */
public class CollabErasureTest {
  static final String GID_A = "48151623421"; // erased
  static final String GID_B = "27182818284"; // kept
  static final String NOW = "2026-11-05T06:00:00Z";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  Path root;
  Path keys;
  Path raw;
  Path quarantine;
  String warehouse;
  byte[] devKey;
  String pseudonymA;
  String pseudonymB;

  @Before
  public void setUp() throws Exception {
    root = tmp.getRoot().toPath();
    keys = root.resolve("keys");
    raw = root.resolve("raw");
    quarantine = root.resolve("quarantine");
    warehouse = "jdbc:duckdb:" + root.resolve("warehouse.duckdb");
    devKey = KeyReference.dev().resolve();
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      Pseudonymizer p = new Pseudonymizer(devKey, store);
      pseudonymA = p.pseudonymize(GID_A);
      pseudonymB = p.pseudonymize(GID_B);
    }
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement()) {
      // The marts' columns (dbt/models/marts/_marts.yml), in dbt's schema.
      st.execute("CREATE SCHEMA analytics");
      st.execute(
          "CREATE TABLE analytics.user_activity_daily (day DATE, workspace_gid VARCHAR,"
              + " user_id VARCHAR, edits BIGINT, comments BIGINT, mentions_received BIGINT,"
              + " notifications_received BIGINT)");
      st.execute(
          "CREATE TABLE analytics.dim_workspace_membership (membership_version_key VARCHAR,"
              + " workspace_gid VARCHAR, user_id VARCHAR, is_member BOOLEAN, valid_from TIMESTAMP,"
              + " valid_to TIMESTAMP, is_current BOOLEAN, opened_by_event_id VARCHAR)");
      st.execute(
          "CREATE TABLE analytics.dim_project_membership (membership_version_key VARCHAR,"
              + " project_gid VARCHAR, workspace_gid VARCHAR, user_id VARCHAR, is_member BOOLEAN,"
              + " role VARCHAR, valid_from TIMESTAMP, valid_to TIMESTAMP, is_current BOOLEAN,"
              + " opened_by_event_id VARCHAR)");
      for (int d = 1; d <= 3; d++) {
        st.execute(
            "INSERT INTO analytics.user_activity_daily VALUES ('2026-11-0"
                + d
                + "', '7', '"
                + pseudonymA
                + "', 2, 1, 0, 3)");
      }
      st.execute(
          "INSERT INTO analytics.user_activity_daily VALUES ('2026-11-01', '7', '"
              + pseudonymB
              + "', 5, 0, 1, 0), ('2026-11-02', '7', '"
              + pseudonymB
              + "', 1, 0, 0, 0)");
      for (String u : new String[] {pseudonymA, pseudonymA, pseudonymB}) {
        st.execute(
            "INSERT INTO analytics.dim_workspace_membership VALUES ('k', '7', '"
                + u
                + "', true, '2026-11-01 00:00:00', NULL, true, 'e1')");
      }
      for (String u : new String[] {pseudonymA, pseudonymB, pseudonymB}) {
        st.execute(
            "INSERT INTO analytics.dim_project_membership VALUES ('k', '9', '7', '"
                + u
                + "', true, 'editor', '2026-11-01 00:00:00', NULL, true, 'e1')");
      }
    }
    writeRaw(
        raw.resolve("dt=2026-11-03/hr=09/raw-test.parquet"),
        event(
            "ev-erase-a",
            "user.erasure_requested",
            pseudonymA,
            "{\"user_gid\":\"" + pseudonymA + "\",\"requested_at\":\"2026-11-03T08:30:00+00:00\"}"),
        event("ev-task-b", "task.created", pseudonymB, "{}"));
    // Recent quarantine: A's records (JSON, and not JSON at all) among B's.
    writeQuarantine(
        quarantine.resolve("dt=2026-11-04/hr=12/quarantine-1-g1-p0-0-of-1.jsonl"),
        "{\"actor\":{\"user_gid\":\"" + GID_A + "\"},\"event_type\":\"task.updated\"}",
        "{\"actor\":{\"user_gid\":\"" + GID_B + "\"},\"event_type\":\"task.updated\"}",
        "garbage user=" + GID_A + " {{{",
        "{\"mentioned_user_gids\":[" + GID_B + "]}");
    writeQuarantine(
        quarantine.resolve("dt=2026-11-04/hr=13/quarantine-2-g1-p0-0-of-1.jsonl"),
        "{\"actor\":{\"user_gid\":\"" + GID_B + "\"}}");
    // Older than the 7-day retention: deleted whole, whoever it holds.
    writeQuarantine(
        quarantine.resolve("dt=2026-10-28/hr=05/quarantine-3-g1-p0-0-of-1.jsonl"),
        "{\"actor\":{\"user_gid\":\"" + GID_B + "\"}}",
        "{\"actor\":{\"user_gid\":\"" + GID_B + "\"}}");
  }

  @Test
  public void anEventRequestErasesTheUserEverywhereAndASecondRunRemovesNothing() throws Exception {
    String indexA = hmacPseudonym(devKey, GID_A);
    UserKey keyA = liveKey(indexA);
    assertThat(
        "oracle: A's pseudonym is HMAC(secret_A, gid)",
        hmacPseudonym(keyA.secret(), GID_A),
        is(pseudonymA));
    long uadA = count("user_activity_daily", pseudonymA);
    long dwmA = count("dim_workspace_membership", pseudonymA);
    long dpmA = count("dim_project_membership", pseudonymA);
    long uadB = count("user_activity_daily", pseudonymB);
    long dwmB = count("dim_workspace_membership", pseudonymB);
    long dpmB = count("dim_project_membership", pseudonymB);

    // A dry run three days after the due time: changes nothing, says the request is overdue.
    Run dry = erasure("--now=2026-11-07T00:00:00Z", "--dryRun");
    assertThat(dry.err, dry.exit, is(CollabErasure.EXIT_OVERDUE));
    assertThat(dry.err, containsString("OVERDUE: 1 request(s)"));
    assertThat(dry.out, containsString("table analytics.user_activity_daily: " + uadA));
    assertThat(count("user_activity_daily", pseudonymA), is(uadA));
    assertThat(liveKey(indexA).isErased(), is(false));
    assertThat(quarantineLines().size(), is(7));

    Run first = erasure("--now=" + NOW);
    assertThat(first.err, first.exit, is(CollabErasure.EXIT_OK));
    assertThat(first.out, containsString("filed 1 request(s) (1 from user.erasure_requested"));
    assertThat(
        first.out,
        containsString("table analytics.user_activity_daily: " + uadA + " rows removed"));
    assertThat(
        first.out,
        containsString("table analytics.dim_workspace_membership: " + dwmA + " rows removed"));
    assertThat(
        first.out,
        containsString("table analytics.dim_project_membership: " + dpmA + " rows removed"));
    assertThat(
        first.out,
        containsString("quarantine records of erased users: 2 removed (1 files rewritten)"));
    assertThat(first.out, containsString("past the 7d retention: 1 deleted (2 records)"));
    assertThat(first.out, containsString("pseudonym keys shredded: 1"));
    assertThat(first.out, not(containsString(GID_A)));

    // A is gone, B untouched.
    assertThat(count("user_activity_daily", pseudonymA), is(0L));
    assertThat(count("dim_workspace_membership", pseudonymA), is(0L));
    assertThat(count("dim_project_membership", pseudonymA), is(0L));
    assertThat(count("user_activity_daily", pseudonymB), is(uadB));
    assertThat(count("dim_workspace_membership", pseudonymB), is(dwmB));
    assertThat(count("dim_project_membership", pseudonymB), is(dpmB));
    // The quarantine: only A's records left the recent files; the old file is gone.
    List<String> left = quarantineLines();
    assertThat(left.size(), is(3));
    for (String payload : left) {
      assertThat(payload, not(containsString(GID_A)));
      assertThat(payload, containsString(GID_B));
    }
    assertThat(
        Files.exists(quarantine.resolve("dt=2026-10-28/hr=05/quarantine-3-g1-p0-0-of-1.jsonl")),
        is(false));
    try (Stream<Path> files = Files.walk(quarantine)) {
      assertThat(
          "no temporary file left",
          files
              .filter(p -> p.getFileName().toString().startsWith("."))
              .collect(Collectors.toList()),
          is(empty()));
    }
    // The key: a tombstone; A's id now maps to ERASED, and no remaining secret gives A's pseudonym.
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      assertThat(store.get(indexA).get().isErased(), is(true));
      assertThat(new Pseudonymizer(devKey, store).pseudonymize(GID_A), is(Pseudonymizer.ERASED));
      for (UserKey k : store.entries()) {
        if (!k.isErased()) {
          assertThat(hmacPseudonym(k.secret(), GID_A), not(is(pseudonymA)));
        }
      }
      assertThat(new Pseudonymizer(devKey, store).pseudonymize(GID_B), is(pseudonymB));
    }
    // The ledger: complete, due 72 h after the request, no key index.
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT request_id, pseudonym, key_index, source, CAST(requested_at AS VARCHAR),"
                    + " CAST(due_at AS VARCHAR), CAST(completed_at AS VARCHAR) FROM erasure_ledger")) {
      assertThat(rs.next(), is(true));
      assertThat(rs.getString(1), is("ev-erase-a"));
      assertThat(rs.getString(2), is(pseudonymA));
      assertThat(rs.getString(3), nullValue());
      assertThat(rs.getString(4), is("event"));
      assertThat(rs.getString(5), is("2026-11-03 08:30:00"));
      assertThat(rs.getString(6), is("2026-11-06 08:30:00"));
      assertThat(rs.getString(7), is("2026-11-05 06:00:00"));
      assertThat(rs.next(), is(false));
    }

    Run second = erasure("--now=2026-11-06T06:00:00Z");
    assertThat(second.err, second.exit, is(CollabErasure.EXIT_OK));
    assertThat(second.out, containsString("filed 0 request(s)"));
    assertThat(second.out, containsString("0 rows and records removed, 0 keys shredded"));
    assertThat(quarantineLines().size(), is(3));
  }

  @Test
  public void anOperatorRequestByGidErasesWithoutPrintingOrStoringTheGid() throws Exception {
    String gidC = "31415926535";
    String pseudonymC;
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      pseudonymC = new Pseudonymizer(devKey, store).pseudonymize(gidC);
    }
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO analytics.user_activity_daily VALUES ('2026-11-01', '7', '"
              + pseudonymC
              + "', 1, 0, 0, 0)");
      st.execute("DROP TABLE analytics.dim_project_membership");
    }
    Run run = erasure("--now=" + NOW, "--request=" + gidC);
    assertThat(run.err, run.exit, is(CollabErasure.EXIT_OK));
    assertThat(
        run.out,
        containsString("filed 2 request(s) (1 from user.erasure_requested events, 1 by operator)"));
    assertThat(run.out, containsString("table dim_project_membership: not in the warehouse"));
    assertThat(run.out, not(containsString(gidC)));
    assertThat(count("user_activity_daily", pseudonymC), is(0L));
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      assertThat(store.get(hmacPseudonym(devKey, gidC)).get().isErased(), is(true));
    }
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT request_id, pseudonym, key_index, completed_at"
                    + " FROM erasure_ledger WHERE source = 'operator'")) {
      assertThat(rs.next(), is(true));
      assertThat(rs.getString(1), startsWith("op-"));
      assertThat(rs.getString(1), not(containsString(hmacPseudonym(devKey, gidC).substring(2))));
      assertThat(rs.getString(2), is(pseudonymC));
      assertThat(rs.getString(3), nullValue());
      assertThat(rs.getString(4) == null, is(false));
    }
    // Filed again after the erasure: nothing left to remove.
    Run again = erasure("--now=" + NOW, "--request=" + gidC);
    assertThat(again.err, again.exit, is(CollabErasure.EXIT_OK));
    assertThat(again.out, containsString("0 rows and records removed, 0 keys shredded"));
  }

  @Test
  public void badOptionsGetOneLineAndExit2() throws Exception {
    String[][] cases = {
      {"--now=" + NOW},
      {"--userKeyStore=" + keys, "--now=yesterday"},
      {"--userKeyStore=" + keys, "--request=alice@example.com"},
      {"--userKeyStore=" + keys, "--quarantineRetention=7x"},
      {"--userKeyStore=" + keys, "--warehouseUrl=jdbc:snowflake://acct.snowflakecomputing.com"},
      {"--userKeyStore=" + keys, "--warehouseUrl=jdbc:postgresql://db.internal/collab"},
    };
    String[] expected = {
      "--userKeyStore is required",
      "--now=yesterday is not an ISO-8601",
      "--request takes a user gid",
      "--quarantineRetention",
      "snowflake/erasure.sql",
      "--pseudonymKey=dev",
    };
    for (int i = 0; i < cases.length; i++) {
      List<String> args = new ArrayList<>(List.of(cases[i]));
      args.add("--dataDir=" + root);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit =
          CollabErasure.run(
              args.toArray(new String[0]),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      String e = err.toString(StandardCharsets.UTF_8);
      assertThat(e, exit, is(CollabErasure.EXIT_USAGE));
      assertThat(e, e.trim().lines().count(), is(1L));
      assertThat(e, containsString(expected[i]));
      assertThat(e, not(containsString("alice")));
    }
  }

  /** The pseudonym format, computed with javax.crypto directly: the test's oracle. */
  static String hmacPseudonym(byte[] key, String id) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] d = mac.doFinal(id.getBytes(StandardCharsets.UTF_8));
    StringBuilder s = new StringBuilder("u_");
    for (int i = 0; i < 16; i++) {
      s.append(String.format("%02x", d[i] & 0xff));
    }
    return s.toString();
  }

  private UserKey liveKey(String index) throws Exception {
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      return store.get(index).get();
    }
  }

  private long count(String table, String user) throws Exception {
    try (Connection c = DriverManager.getConnection(warehouse);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM analytics." + table + " WHERE user_id = '" + user + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The original payloads of every quarantined record left. */
  private List<String> quarantineLines() throws Exception {
    List<String> out = new ArrayList<>();
    for (QuarantineRecord r : QuarantineIO.readRecords(quarantine.toString())) {
      out.add(new String(r.original().payload(), StandardCharsets.UTF_8));
    }
    return out;
  }

  static final class Run {
    int exit;
    String out;
    String err;
  }

  private Run erasure(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--warehouseUrl=" + warehouse,
                "--rawStore=" + raw,
                "--quarantineStore=" + quarantine,
                "--userKeyStore=" + keys,
                "--pseudonymKey=dev"));
    args.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Run r = new Run();
    r.exit =
        CollabErasure.run(
            args.toArray(new String[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    r.out = out.toString(StandardCharsets.UTF_8);
    r.err = err.toString(StandardCharsets.UTF_8);
    return r;
  }

  private static CollabEvent event(String id, String type, String actor, String payload) {
    long t = Instant.parse("2026-11-03T09:10:00Z").toEpochMilli();
    return CollabEvent.builder()
        .setEventId(id)
        .setEventType(type)
        .setSchemaVersion(1)
        .setOccurredAtMillis(t)
        .setReceivedAtMillis(t + 1000)
        .setWorkspaceGid("7")
        .setActorId(actor)
        .setPlatform("web")
        .setService(null)
        .setAppVersion(null)
        .setResourceType("user")
        .setResourceGid(actor)
        .setTaskGid(null)
        .setTriggerEventId(null)
        .setTriggerEventType(null)
        .setPayloadJson(payload)
        .setSource(SourceRef.of(SourceRef.Kind.GENERATOR, "test", 0, 0))
        .build();
  }

  /** A raw-store file written with the store's schema and Beam's Parquet sink, as the job does. */
  private static void writeRaw(Path file, CollabEvent... events) throws Exception {
    Files.createDirectories(file.getParent());
    ParquetIO.Sink sink = ParquetIO.sink(RawStoreSchema.SCHEMA);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      sink.open(ch);
      for (CollabEvent e : events) {
        sink.write(RawStoreSchema.toRecord(e));
      }
      sink.flush();
    }
  }

  private static void writeQuarantine(Path file, String... payloads) throws Exception {
    Files.createDirectories(file.getParent());
    StringBuilder s = new StringBuilder();
    long offset = 0;
    for (String p : payloads) {
      QuarantineRecord r =
          QuarantineRecord.of(
              RawRecord.of(
                  p.getBytes(StandardCharsets.UTF_8),
                  SourceRef.of(SourceRef.Kind.KAFKA, "collab.events", 0, offset++),
                  Instant.parse("2026-11-04T12:00:00Z").toEpochMilli()),
              ReasonCode.NOT_JSON,
              "test",
              null,
              null);
      s.append(QuarantineIO.toLine(r)).append('\n');
    }
    Files.writeString(file, s.toString());
  }
}

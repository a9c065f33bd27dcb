package io.collabpipeline.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.collabpipeline.pipelines.warehouse.LocalPostgres;
import io.collabpipeline.tools.erasure.CollabErasure;
import io.collabpipeline.transforms.pii.KeyReference;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@code collab-erasure} on a PostgreSQL warehouse (the test starts one from Debian's binaries):
 * the ledger is created there, an operator's request deletes the user's rows from a user-level
 * table in the dbt schema and nobody else's, the request is complete without its key index, the
 * user's secret is shredded, and a second run removes nothing.
 */
@RunWith(JUnit4.class)
public class ErasurePostgresTest {
  private static final String ERASED = "4100000000000000001";
  private static final String KEPT = "4100000000000000002";

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();
  @Rule public final LocalPostgres postgres = new LocalPostgres();

  @Test
  public void anOperatorsRequestErasesTheUsersRowsOnPostgres() throws Exception {
    String url = postgres.newDatabaseUrl();
    Path keys = tmp.newFolder("user-keys").toPath();
    String erased;
    String kept;
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      Pseudonymizer p = new Pseudonymizer(KeyReference.dev().resolve(), store);
      erased = p.pseudonymize(ERASED);
      kept = p.pseudonymize(KEPT);
    }
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA analytics");
      st.execute(
          "CREATE TABLE analytics.user_activity_daily (day DATE, workspace_gid VARCHAR, user_id"
              + " VARCHAR, edits BIGINT, comments BIGINT, mentions_received BIGINT,"
              + " notifications_received BIGINT)");
      for (String day : List.of("2026-11-01", "2026-11-02")) {
        for (String user : List.of(erased, kept)) {
          st.execute(
              "INSERT INTO analytics.user_activity_daily VALUES (DATE '"
                  + day
                  + "', '100', '"
                  + user
                  + "', 3, 1, 0, 2)");
        }
      }
    }
    Path data = tmp.newFolder("data").toPath();
    String[] args = {
      "--dataDir=" + data,
      "--warehouseUrl=" + url,
      "--userKeyStore=" + keys,
      "--pseudonymKey=dev",
      "--allowDevKey=true",
      "--request=" + ERASED,
      "--now=2026-11-03T06:00:00Z"
    };
    String first = run(args);
    assertThat(first, containsString("user_activity_daily: 2 rows removed"));
    assertThat(first, containsString("pseudonym keys shredded: 1"));
    assertThat("only the other user's rows are left", userIds(url), equalTo(List.of(kept, kept)));
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT source, pseudonym, key_index IS NULL, completed_at IS NOT NULL,"
                    + " due_at = TIMESTAMP '2026-11-06 06:00:00' FROM erasure_ledger")) {
      assertThat(rs.next(), equalTo(true));
      assertThat(rs.getString(1), equalTo("operator"));
      assertThat(rs.getString(2), equalTo(erased));
      assertThat("key index forgotten", rs.getBoolean(3), equalTo(true));
      assertThat("complete", rs.getBoolean(4), equalTo(true));
      assertThat("due 72 h after the request", rs.getBoolean(5), equalTo(true));
      assertThat("one request", rs.next(), equalTo(false));
    }
    try (UserKeyStore store = UserKeyStores.open(keys.toString())) {
      assertThat(
          new Pseudonymizer(KeyReference.dev().resolve(), store).pseudonymize(ERASED),
          equalTo(Pseudonymizer.ERASED));
    }

    String[] again = args.clone();
    again[again.length - 2] = "--dryRun=false"; // no new request: the ledger alone
    String second = run(again);
    assertThat(second, containsString("user_activity_daily: 0 rows removed"));
    assertThat(second, containsString("pseudonym keys shredded: 0"));
    assertThat(userIds(url), equalTo(List.of(kept, kept)));
  }

  private static String run(String[] args) {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    int code = CollabErasure.run(args, out, out);
    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(text, code, equalTo(CollabErasure.EXIT_OK));
    return text;
  }

  private static List<String> userIds(String url) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT user_id FROM analytics.user_activity_daily ORDER BY day")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}

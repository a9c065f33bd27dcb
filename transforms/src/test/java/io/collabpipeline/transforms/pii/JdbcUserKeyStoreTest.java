package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The store contract on a DuckDB file (PostgreSQL: {@code PostgresUserKeyStoreTest} in pipelines,
 * which has the server harness). A DuckDB file has one writer process, so the second writer here is
 * a second handle from {@link UserKeyStores#openShared}, as the pipeline's DoFns use it.
 */
@RunWith(JUnit4.class)
public class JdbcUserKeyStoreTest extends UserKeyStoreContract {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private String url() {
    return "jdbc:duckdb:" + tmp.getRoot().toPath().resolve("keys.duckdb");
  }

  @Override
  protected UserKeyStore openStore() throws Exception {
    return UserKeyStores.openShared(url());
  }

  @Test
  public void theSecretsAreInTheirOwnTable() throws Exception {
    UserKey k = store.getOrCreate(candidate("1111"));
    store.close();
    try (Connection c = DriverManager.getConnection(url());
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT key_index, pseudonym FROM " + JdbcUserKeyStore.TABLE + " ORDER BY 1")) {
      r.next();
      assertThat(r.getString(1), equalTo(k.index()));
      assertThat(r.getString(2), equalTo(k.pseudonym()));
    }
    store = track(openStore());
    assertThat(store.get(k.index()).orElseThrow(), equalTo(k));
  }

  @Test
  public void aUrlWithoutADriverIsOneLineWithoutItsPassword() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> UserKeyStores.open("jdbc:nosuchdb://db.internal/keys?user=u&password=hunter2"));
    assertThat(e.getMessage(), not(containsString("hunter2")));
    assertThat(e.getMessage(), not(containsString("\n")));
    assertThat(e.getMessage(), containsString("no JDBC driver"));
    assertThat(
        UserKeyStores.shown("jdbc:postgresql://keys:s3cret@db/keys?password=hunter2&ssl=true"),
        equalTo("jdbc:postgresql://keys:***@db/keys?password=***&ssl=true"));
  }
}

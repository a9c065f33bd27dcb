package io.collabpipeline.pipelines.warehouse;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import io.collabpipeline.transforms.pii.JdbcUserKeyStore;
import io.collabpipeline.transforms.pii.Pseudonymizer;
import io.collabpipeline.transforms.pii.UserKey;
import io.collabpipeline.transforms.pii.UserKeyStore;
import io.collabpipeline.transforms.pii.UserKeyStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The user key store on a real PostgreSQL ({@link LocalPostgres}), as a fleet shares it: separate
 * connections race to create one user's secret, an erasure is seen by every writer, and a store
 * outlives a database restart. Expected pseudonyms are HMAC-SHA256 computed here.
 */
@RunWith(JUnit4.class)
public class PostgresUserKeyStoreTest {
  @ClassRule public static final LocalPostgres POSTGRES = new LocalPostgres();

  private static final byte[] GLOBAL_KEY =
      "a-global-pseudonym-key-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8);

  private static String hmac(byte[] key, String gid) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return "u_"
        + HexFormat.of().formatHex(mac.doFinal(gid.getBytes(StandardCharsets.UTF_8)), 0, 16);
  }

  private static UserKey candidate(String gid) throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return UserKey.live(hmac(GLOBAL_KEY, gid), secret, hmac(secret, gid), Instant.now());
  }

  @Test
  public void writersOnSeparateConnectionsShareOneSecretAndSeeTheErasure() throws Exception {
    String url = POSTGRES.newDatabaseUrl();
    List<UserKeyStore> stores = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int i = 0; i < 4; i++) {
        stores.add(UserKeyStores.open(url));
      }
      CountDownLatch go = new CountDownLatch(1);
      List<Future<UserKey>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        UserKeyStore s = stores.get(t % stores.size());
        UserKey mine = candidate("42");
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return s.getOrCreate(mine);
                }));
      }
      go.countDown();
      UserKeyStore store = stores.get(0);
      List<UserKey> got = new ArrayList<>();
      for (Future<UserKey> f : results) {
        got.add(f.get(30, TimeUnit.SECONDS));
      }
      UserKey stored = store.get(hmac(GLOBAL_KEY, "42")).orElseThrow();
      for (UserKey k : got) {
        assertThat(k.secret(), equalTo(stored.secret()));
      }
      assertThat(store.entries(), hasSize(1));

      // Pseudonymizers on two connections agree, and the pseudonym is the HMAC under the secret.
      String pseudonym = new Pseudonymizer(GLOBAL_KEY, stores.get(1)).pseudonymize("42");
      assertThat(pseudonym, equalTo(hmac(stored.secret(), "42")));
      assertThat(
          new Pseudonymizer(GLOBAL_KEY, stores.get(2)).pseudonymize("42"), equalTo(pseudonym));
      assertThat(store.findByPseudonym(pseudonym), equalTo(Optional.of(stored)));

      // The erasure job shreds on its own connection; every new writer then gets ERASED.
      assertThat(stores.get(3).shred(stored.index(), Instant.now()), is(true));
      assertThat(stores.get(3).shred(stored.index(), Instant.now()), is(false));
      assertThat(
          new Pseudonymizer(GLOBAL_KEY, stores.get(1)).pseudonymize("42"),
          equalTo(Pseudonymizer.ERASED));
      assertThat(store.findByPseudonym(pseudonym), equalTo(Optional.empty()));
      assertThat(store.get(stored.index()).orElseThrow().secret(), equalTo(null));
      // An unknown user's erasure leaves a tombstone: the user never gets a secret.
      assertThat(store.shred(hmac(GLOBAL_KEY, "43"), Instant.now()), is(false));
      assertThat(
          new Pseudonymizer(GLOBAL_KEY, stores.get(2)).pseudonymize("43"),
          equalTo(Pseudonymizer.ERASED));
      assertThat(
          new Pseudonymizer(GLOBAL_KEY, stores.get(2)).pseudonymize("44"),
          not(equalTo(Pseudonymizer.ERASED)));
    } finally {
      pool.shutdownNow();
      for (UserKeyStore s : stores) {
        s.close();
      }
    }
  }

  @Test
  public void aStoreComesBackAfterTheDatabaseRestarts() throws Exception {
    String url = POSTGRES.newDatabaseUrl();
    try (UserKeyStore store = UserKeyStores.open(url)) {
      UserKey k = store.getOrCreate(candidate("77"));
      POSTGRES.stop();
      try {
        IOException down = assertThrows(IOException.class, () -> store.get(k.index()));
        assertThat(down.getMessage().contains("\n"), is(false));
      } finally {
        POSTGRES.start();
      }
      // The caller's retry (a worker retrying its bundle) finds a new connection.
      assertThat(store.get(k.index()), equalTo(Optional.of(k)));
    }
    assertThat(JdbcUserKeyStore.TABLE, equalTo("user_pseudonym_keys"));
  }
}

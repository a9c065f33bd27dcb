package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * What every {@link UserKeyStore} guarantees, run on each implementation by its subclass. Expected
 * pseudonyms come from HMAC-SHA256 computed here with javax.crypto, never from {@link
 * Pseudonymizer}.
 */
public abstract class UserKeyStoreContract {
  static final byte[] GLOBAL_KEY =
      "a-global-pseudonym-key-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new, empty store; the same location each call within one test. */
  protected abstract UserKeyStore openStore() throws Exception;

  /** Whether {@link #openStore} may be called again while a store is open (a second writer). */
  protected boolean supportsSecondInstance() {
    return true;
  }

  private final List<UserKeyStore> opened = new ArrayList<>();
  protected UserKeyStore store;

  @Before
  public void openFirst() throws Exception {
    store = track(openStore());
  }

  @After
  public void closeAll() throws Exception {
    for (UserKeyStore s : opened) {
      s.close();
    }
  }

  protected UserKeyStore track(UserKeyStore s) {
    opened.add(s);
    return s;
  }

  /** {@code u_} + the first 128 bits of HMAC-SHA256(key, text) in lowercase hex. */
  static String hmac(byte[] key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] d = mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    return "u_" + HexFormat.of().formatHex(d, 0, 16);
  }

  static UserKey candidate(String gid) throws Exception {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return UserKey.live(
        hmac(GLOBAL_KEY, gid), secret, hmac(secret, gid), Instant.parse("2026-12-01T10:00:00Z"));
  }

  @Test
  public void aCreatedEntryIsReadBack() throws Exception {
    UserKey c = candidate("1001");
    assertThat(store.get(c.index()), equalTo(Optional.empty()));
    assertThat(store.getOrCreate(c), equalTo(c));
    assertThat(store.get(c.index()), equalTo(Optional.of(c)));
    assertThat(store.entries(), contains(c));
    // A second candidate of the same index gets the stored one back, not its own.
    UserKey other = candidate("1001");
    assertThat(store.getOrCreate(other), equalTo(c));
  }

  @Test
  public void concurrentCreatorsOfOneIndexAllGetTheOneStoredSecret() throws Exception {
    List<UserKeyStore> writers = new ArrayList<>();
    writers.add(store);
    if (supportsSecondInstance()) {
      writers.add(track(openStore()));
    }
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<UserKey>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        UserKeyStore w = writers.get(t % writers.size());
        UserKey mine = candidate("2002");
        Callable<UserKey> task =
            () -> {
              go.await();
              return w.getOrCreate(mine);
            };
        results.add(pool.submit(task));
      }
      go.countDown();
      List<UserKey> got = new ArrayList<>();
      for (Future<UserKey> f : results) {
        got.add(f.get(30, TimeUnit.SECONDS));
      }
      UserKey stored = store.get(hmac(GLOBAL_KEY, "2002")).orElseThrow();
      for (UserKey k : got) {
        assertThat(k.secret(), equalTo(stored.secret()));
        assertThat(k.pseudonym(), equalTo(hmac(stored.secret(), "2002")));
      }
      assertThat(store.entries(), hasSize(1));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  public void shredLeavesATombstoneOnceAndNeverALiveEntryAgain() throws Exception {
    UserKey c = store.getOrCreate(candidate("3003"));
    Instant at = Instant.parse("2026-12-02T08:00:00Z");
    assertThat(store.shred(c.index(), at), is(true));
    UserKey t = store.get(c.index()).orElseThrow();
    assertThat(t.isErased(), is(true));
    assertThat(t.secret(), nullValue());
    assertThat(t.pseudonym(), nullValue());
    assertThat(t.erasedAt(), equalTo(at));
    assertThat(t.createdAt(), equalTo(c.createdAt()));
    // Idempotent: nothing left to destroy.
    assertThat(store.shred(c.index(), at.plusSeconds(60)), is(false));
    assertThat(store.get(c.index()).orElseThrow().erasedAt(), equalTo(at));
    // A writer that sees the user again gets the tombstone, not a new secret.
    assertThat(store.getOrCreate(candidate("3003")).isErased(), is(true));
    assertThat(store.findByPseudonym(c.pseudonym()), equalTo(Optional.empty()));
  }

  @Test
  public void shreddingAnUnknownUserLeavesATombstone() throws Exception {
    String index = hmac(GLOBAL_KEY, "4004");
    assertThat(store.shred(index, Instant.parse("2026-12-02T08:00:00Z")), is(false));
    assertThat(store.get(index).orElseThrow().isErased(), is(true));
    assertThat(store.getOrCreate(candidate("4004")).isErased(), is(true));
  }

  @Test
  public void anEntryIsFoundByItsPseudonym() throws Exception {
    UserKey a = store.getOrCreate(candidate("5005"));
    UserKey b = store.getOrCreate(candidate("5006"));
    assertThat(store.findByPseudonym(b.pseudonym()), equalTo(Optional.of(b)));
    assertThat(store.findByPseudonym(a.pseudonym()), equalTo(Optional.of(a)));
    assertThat(store.findByPseudonym(hmac(GLOBAL_KEY, "5005")), equalTo(Optional.empty()));
  }

  @Test
  public void perUserPseudonymsAreTheHmacUnderTheStoredSecret() throws Exception {
    Pseudonymizer p = new Pseudonymizer(GLOBAL_KEY, store);
    String pseudonym = p.pseudonymize("6006");
    UserKey stored = store.get(hmac(GLOBAL_KEY, "6006")).orElseThrow();
    assertThat(pseudonym, equalTo(hmac(stored.secret(), "6006")));
    assertThat(stored.pseudonym(), equalTo(pseudonym));
    assertThat(pseudonym, not(equalTo(hmac(GLOBAL_KEY, "6006"))));
    assertThat(p.index("6006"), equalTo(hmac(GLOBAL_KEY, "6006")));
    // Another writer (a second pseudonymizer, another store handle) agrees.
    UserKeyStore second = supportsSecondInstance() ? track(openStore()) : store;
    assertThat(new Pseudonymizer(GLOBAL_KEY, second).pseudonymize("6006"), equalTo(pseudonym));
    // Two users, two secrets.
    String other = p.pseudonymize("6007");
    assertThat(
        other, equalTo(hmac(store.get(hmac(GLOBAL_KEY, "6007")).orElseThrow().secret(), "6007")));
  }

  @Test
  public void anErasedUserBecomesErasedOnceTheCacheExpires() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000L);
    Pseudonymizer p = new Pseudonymizer(GLOBAL_KEY, store, now::get);
    String before = p.pseudonymize("7007");
    assertThat(before, not(equalTo(Pseudonymizer.ERASED)));
    assertThat(store.shred(p.index("7007"), Instant.parse("2026-12-02T08:00:00Z")), is(true));
    // Within the cache's lifetime a running writer still has the resolved pseudonym ...
    now.addAndGet(Pseudonymizer.CACHE_MILLIS - 1);
    assertThat(p.pseudonymize("7007"), equalTo(before));
    // ... and after it, the erasure.
    now.addAndGet(2);
    assertThat(p.pseudonymize("7007"), equalTo(Pseudonymizer.ERASED));
    // A writer started after the erasure never sees the secret.
    assertThat(
        new Pseudonymizer(GLOBAL_KEY, store).pseudonymize("7007"), equalTo(Pseudonymizer.ERASED));
    // Other users are untouched.
    String other = p.pseudonymize("7008");
    assertThat(
        other, equalTo(hmac(store.get(hmac(GLOBAL_KEY, "7008")).orElseThrow().secret(), "7008")));
  }

  @Test
  public void theKeyIdOfPerUserPseudonymsDiffersFromTheGlobalOne() throws Exception {
    String perUser = MinimizedEvents.keyId(new Pseudonymizer(GLOBAL_KEY, store));
    String global = MinimizedEvents.keyId(new Pseudonymizer(GLOBAL_KEY));
    assertThat(perUser, not(equalTo(global)));
    assertThat(perUser, equalTo(MinimizedEvents.keyId(new Pseudonymizer(GLOBAL_KEY, store))));
    // Making the key id stores nothing: it is not a user.
    assertThat(store.entries(), hasSize(0));
  }
}

package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The store contract on a directory; two instances on one directory are two writers. */
@RunWith(JUnit4.class)
public class DirectoryUserKeyStoreTest extends UserKeyStoreContract {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private Path dir() {
    return tmp.getRoot().toPath().resolve("user-keys");
  }

  @Override
  protected UserKeyStore openStore() throws Exception {
    return UserKeyStores.open("file:" + dir());
  }

  @Test
  public void theDirectoryAndEveryFileAreOwnerOnly() throws Exception {
    store.getOrCreate(candidate("8008"));
    store.shred(hmac(GLOBAL_KEY, "8009"), java.time.Instant.parse("2026-12-02T08:00:00Z"));
    assertThat(perms(dir()), equalTo("rwx------"));
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir())) {
      all = s.filter(p -> !p.equals(dir())).collect(Collectors.toList());
    }
    // two shard directories, one key file each, no temporary file left behind
    assertThat(all.toString(), all, hasSize(4));
    for (Path p : all) {
      assertThat(p.toString(), perms(p), equalTo(Files.isDirectory(p) ? "rwx------" : "rw-------"));
    }
  }

  @Test
  public void aPlainPathIsADirectoryStoreAndNoneIsNoStore() throws Exception {
    assertThat(UserKeyStores.open(dir().toString()), instanceOf(DirectoryUserKeyStore.class));
    assertThat(UserKeyStores.open("none"), nullValue());
    assertThat(UserKeyStores.open(" "), nullValue());
    assertThat(UserKeyStores.isNone("none"), is(true));
  }

  @Test
  public void aSharedStoreStaysOpenUntilItsLastHandleCloses() throws Exception {
    UserKeyStore a = UserKeyStores.openShared("file:" + dir());
    UserKeyStore b = UserKeyStores.openShared("file:" + dir());
    UserKey k = a.getOrCreate(candidate("9009"));
    a.close();
    a.close(); // a second close of one handle does not close another's
    assertThat(b.get(k.index()).orElseThrow(), equalTo(k));
    b.close();
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}

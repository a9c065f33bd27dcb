package io.collabpipeline.transforms.pii;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A {@link UserKeyStore} in a local directory (owner-only), one file per user: {@code <dir>/<2
 * hex>/<index>.key}, a few {@code name=value} lines. For one machine (the embedded default, the dev
 * stack); machines that share a store use {@link JdbcUserKeyStore} on PostgreSQL.
 *
 * <p>A new entry is written to a temporary file and hard-linked to its name, which fails if the
 * name exists, so of concurrent creators exactly one wins, across processes. A tombstone replaces
 * the file by an atomic rename, so a reader sees the live entry or the tombstone, never a part.
 */
public final class DirectoryUserKeyStore implements UserKeyStore {
  private static final HexFormat HEX = HexFormat.of();
  private final Path dir;

  private DirectoryUserKeyStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating, owner-only) the directory. */
  public static DirectoryUserKeyStore open(Path dir) throws IOException {
    try {
      Files.createDirectories(dir);
      restrict(dir, "rwx------");
    } catch (IOException e) {
      throw new IOException(
          "cannot open the user key store " + dir + ": " + e.getMessage() + " (fix --userKeyStore)",
          e);
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new IOException(
          "the user key store " + dir + " is not a writable directory (fix --userKeyStore)");
    }
    return new DirectoryUserKeyStore(dir);
  }

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private static void restrict(Path p, String perms) throws IOException {
    if (POSIX) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }
  }

  private Path fileOf(String index) {
    if (!MinimizedEvents.isPseudonym(index)) {
      throw new IllegalArgumentException("not a user index: " + index);
    }
    return dir.resolve(index.substring(2, 4)).resolve(index + ".key");
  }

  @Override
  public UserKey getOrCreate(UserKey candidate) throws IOException {
    Path target = fileOf(candidate.index());
    Optional<UserKey> existing = read(target);
    if (existing.isPresent()) {
      return existing.get();
    }
    Path tmp = writeTemp(target, candidate);
    try {
      Files.createLink(target, tmp);
      return candidate;
    } catch (FileAlreadyExistsException e) {
      return read(target)
          .orElseThrow(() -> new IOException("user key " + target + " vanished while read"));
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public Optional<UserKey> get(String index) throws IOException {
    return read(fileOf(index));
  }

  @Override
  public Optional<UserKey> findByPseudonym(String pseudonym) throws IOException {
    for (UserKey k : entries()) {
      if (pseudonym.equals(k.pseudonym())) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  @Override
  public boolean shred(String index, Instant at) throws IOException {
    Path target = fileOf(index);
    Optional<UserKey> before = read(target);
    if (before.isPresent() && before.get().isErased()) {
      return false;
    }
    UserKey tombstone = UserKey.tombstone(index, before.map(UserKey::createdAt).orElse(at), at);
    Path tmp = writeTemp(target, tombstone);
    try {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("the user key store " + dir + " cannot rename atomically", e);
    }
    return before.isPresent();
  }

  @Override
  public List<UserKey> entries() throws IOException {
    List<UserKey> out = new ArrayList<>();
    // Names are filtered before anything is read, so a writer's temporary file that vanishes
    // meanwhile is never looked at.
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir, "[0-9a-f][0-9a-f]")) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard, "u_*.key")) {
          for (Path p : files) {
            read(p).ifPresent(out::add);
          }
        }
      }
    }
    out.sort(Comparator.comparing(UserKey::index));
    return out;
  }

  @Override
  public String describe() {
    return dir.toString();
  }

  @Override
  public void close() {}

  private Path writeTemp(Path target, UserKey key) throws IOException {
    Path shard = target.getParent();
    if (!Files.isDirectory(shard)) {
      try {
        Files.createDirectory(shard, ownerOnly("rwx------"));
      } catch (FileAlreadyExistsException e) {
        // another writer made it first
      }
    }
    Path tmp = target.resolveSibling("." + key.index() + "." + UUID.randomUUID() + ".tmp");
    // Owner-only from its creation: the secret is never in a file others may read, not even
    // briefly (a umask of 022 would otherwise give it rw-r--r-- until restricted).
    Files.createFile(tmp, ownerOnly("rw-------"));
    Files.write(tmp, format(key).getBytes(StandardCharsets.UTF_8));
    return tmp;
  }

  private static FileAttribute<?>[] ownerOnly(String perms) {
    return POSIX
        ? new FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms))
        }
        : new FileAttribute<?>[0];
  }

  private static String format(UserKey key) {
    StringBuilder s = new StringBuilder();
    s.append("index=").append(key.index()).append('\n');
    s.append("created_at=").append(key.createdAt()).append('\n');
    if (key.isErased()) {
      s.append("erased_at=").append(key.erasedAt()).append('\n');
    } else {
      s.append("pseudonym=").append(key.pseudonym()).append('\n');
      s.append("secret=").append(HEX.formatHex(key.secret())).append('\n');
    }
    return s.toString();
  }

  private static Optional<UserKey> read(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Map<String, String> v = new LinkedHashMap<>();
    for (String line : lines) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        v.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    String index = v.get("index");
    String created = v.get("created_at");
    if (index == null || created == null) {
      throw new IOException("user key file " + file + " is damaged (no index or created_at)");
    }
    if (v.containsKey("erased_at")) {
      return Optional.of(
          UserKey.tombstone(index, Instant.parse(created), Instant.parse(v.get("erased_at"))));
    }
    String secret = v.get("secret");
    String pseudonym = v.get("pseudonym");
    if (secret == null || pseudonym == null) {
      throw new IOException("user key file " + file + " is damaged (no secret or pseudonym)");
    }
    return Optional.of(
        UserKey.live(index, HEX.parseHex(secret), pseudonym, Instant.parse(created)));
  }
}

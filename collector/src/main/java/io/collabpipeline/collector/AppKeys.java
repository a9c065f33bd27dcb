package io.collabpipeline.collector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The per-app API keys of the collector, given by reference like every secret of the project:
 * {@code --appKeys=web=env:COLLAB_WEB_KEY,ios=file:/run/secrets/ios-key}. Keys are read once at
 * start; a presented key is compared with each in constant time. Messages name the app and the
 * reference, never a key.
 */
public final class AppKeys {
  /** Shortest accepted app key. */
  public static final int MIN_KEY_BYTES = 16;

  private final Map<String, byte[]> keysByApp;

  private AppKeys(Map<String, byte[]> keysByApp) {
    this.keysByApp = keysByApp;
  }

  /** Parses and resolves {@code app=env:VAR,app=file:/path,...}. */
  public static AppKeys resolve(String spec) {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException(
          "--appKeys is required: app=env:VAR or app=file:/path, comma-separated");
    }
    for (String entry : spec.split(",")) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--appKeys: an entry is not app=env:VAR or app=file:/path (its text is not shown)");
      }
      String app = entry.substring(0, eq).trim();
      String ref = entry.substring(eq + 1).trim();
      if (!app.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new IllegalArgumentException("--appKeys: app names are [A-Za-z0-9_.-]{1,64}");
      }
      keys.put(app, read(app, ref));
    }
    return new AppKeys(keys);
  }

  private static byte[] read(String app, String ref) {
    String value;
    if (ref.startsWith("env:") && ref.length() > 4) {
      value = System.getenv(ref.substring(4));
      if (value == null) {
        throw new IllegalArgumentException(
            "--appKeys: the key of app " + app + " (" + ref + ") is not set");
      }
    } else if (ref.startsWith("file:") && ref.length() > 5) {
      try {
        value = Files.readString(Path.of(ref.substring(5)), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--appKeys: cannot read the key of app "
                + app
                + " ("
                + ref
                + ": "
                + e.getClass().getSimpleName()
                + ")");
      }
    } else {
      // Never echo it: it may be the key itself, pasted by mistake.
      throw new IllegalArgumentException(
          "--appKeys: the key of app "
              + app
              + " must be a reference, env:VAR or file:/path, never its value");
    }
    byte[] key = value.trim().getBytes(StandardCharsets.UTF_8);
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "--appKeys: the key of app "
              + app
              + " ("
              + ref
              + ") is shorter than "
              + MIN_KEY_BYTES
              + " bytes");
    }
    return key;
  }

  /** The app a presented key belongs to. */
  public Optional<String> appOf(String presented) {
    if (presented == null) {
      return Optional.empty();
    }
    byte[] p = presented.trim().getBytes(StandardCharsets.UTF_8);
    String found = null;
    for (Map.Entry<String, byte[]> e : keysByApp.entrySet()) {
      if (MessageDigest.isEqual(p, e.getValue()) && found == null) {
        found = e.getKey();
      }
    }
    return Optional.ofNullable(found);
  }

  /** The apps, in the order given. */
  public Iterable<String> apps() {
    return keysByApp.keySet();
  }
}

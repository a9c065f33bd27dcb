package io.collabpipeline.pipelines.generator;

import java.util.UUID;

/** The id formats of the synthetic workload, each a pure function of hashes. */
final class Ids {

  private Ids() {}

  /** A 16-digit gid, like Asana's. */
  static String gid(long hash) {
    return Long.toString(1_000_000_000_000_000L + (hash >>> 1) % 9_000_000_000_000_000L);
  }

  /** A version-4-shaped UUID, lower case, from two hashes. */
  static String uuid(long h1, long h2) {
    long msb = (h1 & ~0xF000L) | 0x4000L;
    long lsb = (h2 & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  /** 16 lower-case hex digits, zero-padded. */
  static String hex(long value) {
    String s = Long.toHexString(value);
    return "0000000000000000".substring(s.length()) + s;
  }
}

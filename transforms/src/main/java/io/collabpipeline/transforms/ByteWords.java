package io.collabpipeline.transforms;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reading a byte array eight bytes at a time, for the scans over whole records (the strict JSON
 * parser's pre-scan, the NDJSON reader's newline search): a word holds bytes {@code i} to {@code i
 * + 7}, byte {@code i} in its low bits, and a byte equal to {@code v} is a zero byte of {@code word
 * ^ repeated(v)}.
 */
public final class ByteWords {
  /** The high bit of every byte of a word. */
  public static final long HIGH_BITS = 0x8080808080808080L;

  private static final long ONES = 0x0101010101010101L;
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private ByteWords() {}

  /** Bytes {@code i} to {@code i + 7} of {@code bytes}, byte {@code i} in the lowest bits. */
  public static long word(byte[] bytes, int i) {
    return (long) LONGS.get(bytes, i);
  }

  /** {@code value} in every byte of a word. */
  public static long repeated(byte value) {
    return (value & 0xFFL) * ONES;
  }

  /**
   * The high bit of each zero byte of {@code word}, and of no byte below the lowest zero byte (a
   * borrow may also flag bytes above it): non-zero exactly when {@code word} has a zero byte, and
   * its lowest set bit is in the lowest zero byte.
   */
  public static long zeroBytes(long word) {
    return (word - ONES) & ~word & HIGH_BITS;
  }

  /** The index of the first {@code value} in {@code bytes[from, to)}, or -1. */
  public static int indexOf(byte[] bytes, int from, int to, byte value) {
    long pattern = repeated(value);
    int i = from;
    for (; i + Long.BYTES <= to; i += Long.BYTES) {
      long found = zeroBytes(word(bytes, i) ^ pattern);
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return -1;
  }
}

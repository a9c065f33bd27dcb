package io.collabpipeline.model;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An immutable text held as its UTF-8 bytes, made a {@link String} only when asked: an event's
 * payload, which the steps after validation carry and encode but never read. Decoding an event then
 * copies the payload's bytes once instead of twice (into an array, then into a string), and
 * encoding it, or writing it to a Parquet column, copies the bytes without encoding the string
 * again; in a profile of the batch graph those copies of the ~1 KB payload were a tenth of the CPU
 * samples.
 *
 * <p>Equal texts have equal bytes. A text made {@linkplain #of from a string} holds that string's
 * UTF-8 form ({@link String#getBytes}, which writes {@code ?} for a lone surrogate, as every coder
 * of the pipeline did before; the validator refuses lone surrogates, so no payload has one).
 */
public final class Utf8Text {
  private static final Utf8Text EMPTY = new Utf8Text(new byte[0], "");

  private final byte[] utf8;
  private @Nullable String string;

  private Utf8Text(byte[] utf8, @Nullable String string) {
    this.utf8 = utf8;
    this.string = string;
  }

  /** The text of {@code value}. */
  public static Utf8Text of(String value) {
    if (value == null) {
      throw new NullPointerException("Utf8Text.of(null)");
    }
    if (value.isEmpty()) {
      return EMPTY;
    }
    return new Utf8Text(value.getBytes(StandardCharsets.UTF_8), value);
  }

  /**
   * The text of the next {@code length} bytes of {@code in}, which must be UTF-8 (as written by
   * {@link #copyTo}); fails if the stream ends before them.
   */
  public static Utf8Text read(InputStream in, int length) throws IOException {
    if (length < 0) {
      throw new IOException("negative text length " + length);
    }
    if (length == 0) {
      return EMPTY;
    }
    byte[] bytes = new byte[length];
    int read = 0;
    while (read < length) {
      int n = in.read(bytes, read, length - read);
      if (n < 0) {
        throw new EOFException("text ends after " + read + " of its " + length + " bytes");
      }
      read += n;
    }
    return new Utf8Text(bytes, null);
  }

  /** How many bytes the UTF-8 form has. */
  public int utf8Length() {
    return utf8.length;
  }

  public boolean isEmpty() {
    return utf8.length == 0;
  }

  /** Copies the UTF-8 form into {@code target} from {@code offset} on. */
  public void copyTo(byte[] target, int offset) {
    System.arraycopy(utf8, 0, target, offset, utf8.length);
  }

  /** A copy of the UTF-8 form. */
  public byte[] toUtf8() {
    return utf8.clone();
  }

  /** The text as a string (decoded once, then kept). */
  @Override
  public String toString() {
    String s = string;
    if (s == null) {
      s = new String(utf8, StandardCharsets.UTF_8);
      string = s;
    }
    return s;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof Utf8Text && Arrays.equals(utf8, ((Utf8Text) other).utf8);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(utf8);
  }
}

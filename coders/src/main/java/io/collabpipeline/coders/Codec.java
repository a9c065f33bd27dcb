package io.collabpipeline.coders;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The primitive encodings the project's coders are built from; all nested, all deterministic. */
final class Codec {
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final VarLongCoder VAR_LONG = VarLongCoder.of();
  private static final VarIntCoder VAR_INT = VarIntCoder.of();

  private Codec() {}

  static void writeString(String value, OutputStream out) throws IOException {
    STRING.encode(value, out);
  }

  static String readString(InputStream in) throws IOException {
    return STRING.decode(in);
  }

  /** A presence byte, then the string: one byte for an absent value. */
  static void writeNullableString(@Nullable String value, OutputStream out) throws IOException {
    if (value == null) {
      out.write(0);
    } else {
      out.write(1);
      STRING.encode(value, out);
    }
  }

  static @Nullable String readNullableString(InputStream in) throws IOException {
    int present = in.read();
    if (present < 0) {
      throw new java.io.EOFException("truncated nullable string");
    }
    return present == 0 ? null : STRING.decode(in);
  }

  static void writeLong(long value, OutputStream out) throws IOException {
    VAR_LONG.encode(value, out);
  }

  static long readLong(InputStream in) throws IOException {
    return VAR_LONG.decode(in);
  }

  static void writeInt(int value, OutputStream out) throws IOException {
    VAR_INT.encode(value, out);
  }

  static int readInt(InputStream in) throws IOException {
    return VAR_INT.decode(in);
  }
}

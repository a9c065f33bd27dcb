package io.collabpipeline.coders;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The primitive encodings the project's coders are built from; all nested, all deterministic.
 *
 * <p>The coders of the elements that cross many steps write through a {@link Buffer}: the same
 * bytes as the stream methods here, gathered in memory and handed to the stream in one write. On
 * Flink every write to a coder's stream is a call into the runner's serializer, and a length or a
 * number written byte by byte cost more there than the strings themselves.
 */
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

  /**
   * {@code version}, {@code length} as an unsigned varint, then {@code length} bytes of {@code
   * bytes} from {@code offset}: two writes.
   */
  static void writeFramed(OutputStream out, int version, byte[] bytes, int offset, int length)
      throws IOException {
    byte[] header = new byte[Buffer.HEADER_ROOM];
    int n = header(header, 0, version, length);
    out.write(header, 0, n);
    out.write(bytes, offset, length);
  }

  /** Writes {@code version} and {@code length}'s varint at {@code at}; returns their byte count. */
  private static int header(byte[] into, int at, int version, int length) {
    into[at] = (byte) version;
    return putVarLong(into, at + 1, length) - at;
  }

  /**
   * Beam's varint of a long at {@code at} (7 bits a byte, low bits first, negative values in 10
   * bytes); returns the index after it.
   */
  private static int putVarLong(byte[] into, int at, long value) {
    int i = at;
    long v = value;
    while ((v & ~0x7FL) != 0) {
      into[i++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    into[i++] = (byte) v;
    return i;
  }

  /** Reads exactly {@code length} bytes into {@code bytes} from {@code offset}. */
  static void readFully(InputStream in, byte[] bytes, int offset, int length) throws IOException {
    int read = 0;
    while (read < length) {
      int r = in.read(bytes, offset + read, length - read);
      if (r < 0) {
        throw new EOFException("truncated encoding: " + read + " of " + length + " bytes");
      }
      read += r;
    }
  }

  /** How one field of an encoding is laid out: what copying or skipping it reads. */
  enum Field {
    /** {@link Buffer#writeString}: a varint length, then the bytes. */
    STRING,
    /** {@link Buffer#writeNullableString}: a presence byte, then a string if present. */
    NULLABLE_STRING,
    /** {@link Buffer#writeLong} or {@link Buffer#writeInt}. */
    VARINT
  }

  /**
   * Reads the encodings of {@link Buffer} from a byte array, where a string is made straight from
   * its bytes. The array is trusted to hold whole fields: {@link Buffer#copy} checked them.
   */
  static final class Reader {
    private final byte[] bytes;
    private int position;

    Reader(byte[] bytes, int position) {
      this.bytes = bytes;
      this.position = position;
    }

    long readLong() {
      long value = 0;
      for (int shift = 0; ; shift += 7) {
        int b = bytes[position++];
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
    }

    /** {@link Buffer#writeInt}'s unsigned varint, as the int it was. */
    int readInt() {
      return (int) readLong();
    }

    String readString() {
      int length = readInt();
      String value = new String(bytes, position, length, StandardCharsets.UTF_8);
      position += length;
      return value;
    }

    @Nullable String readNullableString() {
      return bytes[position++] == 0 ? null : readString();
    }

    /** Moves past one field laid out as {@code field}. */
    void skip(Field field) {
      switch (field) {
        case NULLABLE_STRING:
          if (bytes[position++] == 0) {
            return;
          }
          skip(Field.STRING);
          return;
        case STRING:
          int length = readInt(); // before the position moves past it: not "position += readInt()"
          position += length;
          return;
        case VARINT:
          readLong();
          return;
      }
    }

    int position() {
      return position;
    }
  }

  /**
   * An encoding gathered in memory: {@link #writeString} is {@link StringUtf8Coder}'s nested
   * encoding, {@link #writeLong} {@link VarLongCoder}'s and {@link #writeInt} {@link VarIntCoder}'s
   * (Beam's unsigned varints), {@link #writeNullableString} as {@link Codec#writeNullableString}.
   * One per thread, reused through {@link #encode}; a coder that needs one while its thread's is in
   * use (an encoding nested in another) gets a new one.
   */
  static final class Buffer {
    /** A buffer that grew beyond this (a large event) is dropped after use, not kept. */
    private static final int KEEP_AT_MOST = 64 * 1024;

    private static final ThreadLocal<Buffer> PER_THREAD = ThreadLocal.withInitial(Buffer::new);

    private byte[] bytes = new byte[4096];
    private int size;
    private boolean inUse;

    private Buffer() {}

    /** What a coder writes into a buffer. */
    @FunctionalInterface
    interface Fill {
      void into(Buffer b) throws IOException;
    }

    /**
     * Gathers what {@code fill} writes and hands it to {@code out} in one write; the buffer is
     * given back whether or not the encoding fails.
     */
    static void encode(OutputStream out, Fill fill) throws IOException {
      Buffer b = take();
      try {
        fill.into(b);
        out.write(b.bytes, 0, b.size);
      } finally {
        b.release();
      }
    }

    /** Room kept before a framed encoding's fields for its header (a version and a varint). */
    static final int HEADER_ROOM = 6;

    /**
     * {@link Codec#writeFramed} of what {@code fill} writes, in one write: the fields are gathered
     * after room for the header, which is then put right before them.
     */
    static void encodeFramed(OutputStream out, int version, Fill fill) throws IOException {
      Buffer b = take();
      try {
        b.size = HEADER_ROOM;
        fill.into(b);
        byte[] header = new byte[HEADER_ROOM];
        int n = header(header, 0, version, b.size - HEADER_ROOM);
        int start = HEADER_ROOM - n;
        System.arraycopy(header, 0, b.bytes, start, n);
        out.write(b.bytes, start, b.size - start);
      } finally {
        b.release();
      }
    }

    /** What a coder copies from a stream into a buffer, field by field. */
    @FunctionalInterface
    interface Copy {
      void from(InputStream in, Buffer b) throws IOException;
    }

    /**
     * The bytes {@code copy} reads from {@code in}, as they are: one encoding taken whole from a
     * stream without decoding its fields (lengths are read to know where it ends).
     */
    static byte[] copy(InputStream in, Copy copy) throws IOException {
      Buffer b = take();
      try {
        copy.from(in, b);
        return Arrays.copyOf(b.bytes, b.size);
      } finally {
        b.release();
      }
    }

    /** An empty buffer, the thread's own unless that one is in use; {@link #release} it. */
    private static Buffer take() {
      Buffer own = PER_THREAD.get();
      if (own.inUse) {
        return new Buffer();
      }
      own.inUse = true;
      own.size = 0;
      return own;
    }

    private void release() {
      inUse = false;
      size = 0;
      if (bytes.length > KEEP_AT_MOST) {
        bytes = new byte[4096];
      }
    }

    private void ensure(int more) {
      int needed = size + more;
      if (needed > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
      }
    }

    void writeByte(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    void writeBytes(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, bytes, size, b.length);
      size += b.length;
    }

    /** Beam's varint of a long: 7 bits a byte, low bits first, negative values in 10 bytes. */
    void writeLong(long value) {
      ensure(10);
      size = putVarLong(bytes, size, value);
    }

    /** Beam's varint of an int, read as unsigned (a negative int takes 5 bytes). */
    void writeInt(int value) {
      writeLong(value & 0xFFFFFFFFL);
    }

    void writeString(String value) throws CoderException {
      if (value == null) {
        throw new CoderException("cannot encode a null String");
      }
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      writeInt(utf8.length);
      writeBytes(utf8);
    }

    void writeNullableString(@Nullable String value) throws CoderException {
      if (value == null) {
        writeByte(0);
      } else {
        writeByte(1);
        writeString(value);
      }
    }

    /** Copies one byte of {@code in} and returns it. */
    int copyByte(InputStream in) throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("truncated encoding");
      }
      writeByte(b);
      return b;
    }

    /** Copies one of Beam's varints and returns its value as a long (what was written). */
    private long copyVarLong(InputStream in) throws IOException {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = copyByte(in);
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw new CoderException("varint longer than 10 bytes");
    }

    /** Copies a {@link #writeString} (or {@link #writeByteArray}): its length, then its bytes. */
    private void copyString(InputStream in) throws IOException {
      long length = copyVarLong(in);
      if (length < 0 || length > Integer.MAX_VALUE - 16) {
        throw new CoderException("invalid length " + length);
      }
      int n = (int) length;
      ensure(n);
      readFully(in, bytes, size, n);
      size += n;
    }

    /** Copies one field laid out as {@code field}. */
    void copy(Field field, InputStream in) throws IOException {
      switch (field) {
        case NULLABLE_STRING:
          if (copyByte(in) != 0) {
            copyString(in);
          }
          return;
        case STRING:
          copyString(in);
          return;
        case VARINT:
          copyVarLong(in);
          return;
      }
    }

    /** Beam's nested byte array: its length as a varint, then the bytes. */
    void writeByteArray(byte[] value) throws CoderException {
      if (value == null) {
        throw new CoderException("cannot encode a null byte[]");
      }
      writeInt(value.length);
      writeBytes(value);
    }
  }
}

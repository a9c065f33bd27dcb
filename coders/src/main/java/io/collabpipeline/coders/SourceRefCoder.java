package io.collabpipeline.coders;

import io.collabpipeline.model.SourceRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** Deterministic coder for {@link SourceRef}: kind code, name, partition, offset. */
public final class SourceRefCoder extends AtomicCoder<SourceRef> {
  private static final SourceRefCoder INSTANCE = new SourceRefCoder();

  public static SourceRefCoder of() {
    return INSTANCE;
  }

  private SourceRefCoder() {}

  @Override
  public void encode(SourceRef value, OutputStream out) throws IOException {
    Codec.Buffer.encode(
        out,
        b -> {
          encodeTo(value, b);
        });
  }

  /** The same bytes as {@link #encode}, into the buffer of an enclosing coder. */
  static void encodeTo(SourceRef value, Codec.Buffer b) throws IOException {
    b.writeString(value.kind().code());
    b.writeString(value.name());
    b.writeInt(value.partition());
    b.writeLong(value.offset());
  }

  @Override
  public SourceRef decode(InputStream in) throws IOException {
    SourceRef.Kind kind = SourceRef.Kind.fromCode(Codec.readString(in));
    String name = Codec.readString(in);
    int partition = Codec.readInt(in);
    long offset = Codec.readLong(in);
    return SourceRef.of(kind, name, partition, offset);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}

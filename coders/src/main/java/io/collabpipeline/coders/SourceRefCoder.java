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
    Codec.writeString(value.kind().code(), out);
    Codec.writeString(value.name(), out);
    Codec.writeInt(value.partition(), out);
    Codec.writeLong(value.offset(), out);
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

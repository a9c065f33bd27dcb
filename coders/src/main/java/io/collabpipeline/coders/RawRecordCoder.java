package io.collabpipeline.coders;

import io.collabpipeline.model.RawRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;

/**
 * Deterministic coder for {@link RawRecord}: the original bytes untouched, source, arrival time.
 */
public final class RawRecordCoder extends AtomicCoder<RawRecord> {
  private static final RawRecordCoder INSTANCE = new RawRecordCoder();
  private static final ByteArrayCoder BYTES = ByteArrayCoder.of();

  public static RawRecordCoder of() {
    return INSTANCE;
  }

  private RawRecordCoder() {}

  @Override
  public void encode(RawRecord value, OutputStream out) throws IOException {
    Codec.Buffer.encode(
        out,
        b -> {
          b.writeByteArray(value.payload());
          SourceRefCoder.encodeTo(value.source(), b);
          b.writeLong(value.receivedAtMillis());
        });
  }

  @Override
  public RawRecord decode(InputStream in) throws IOException {
    byte[] payload = BYTES.decode(in);
    return RawRecord.of(payload, SourceRefCoder.of().decode(in), Codec.readLong(in));
  }

  @Override
  public void verifyDeterministic() {}
}

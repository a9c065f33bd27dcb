package io.collabpipeline.coders;

import io.collabpipeline.model.QuarantineRecord;
import io.collabpipeline.model.ReasonCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Deterministic coder for {@link QuarantineRecord}; the reason travels as its stable code, not its
 * ordinal.
 */
public final class QuarantineRecordCoder extends AtomicCoder<QuarantineRecord> {
  private static final QuarantineRecordCoder INSTANCE = new QuarantineRecordCoder();

  public static QuarantineRecordCoder of() {
    return INSTANCE;
  }

  private QuarantineRecordCoder() {}

  @Override
  public void encode(QuarantineRecord value, OutputStream out) throws IOException {
    RawRecordCoder.of().encode(value.original(), out);
    Codec.writeString(value.reason().code(), out);
    Codec.writeString(value.detail(), out);
    Codec.writeNullableString(value.eventId(), out);
    Codec.writeNullableString(value.eventType(), out);
  }

  @Override
  public QuarantineRecord decode(InputStream in) throws IOException {
    return QuarantineRecord.of(
        RawRecordCoder.of().decode(in),
        ReasonCode.valueOf(Codec.readString(in)),
        Codec.readString(in),
        Codec.readNullableString(in),
        Codec.readNullableString(in));
  }

  @Override
  public void verifyDeterministic() {}
}

package io.collabpipeline.coders;

import io.collabpipeline.model.MetricTotals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;

/**
 * Deterministic coder for {@link MetricTotals}: count, completed, distinct items and the largest
 * item count, each as {@code VarLongCoder} writes it.
 */
public final class MetricTotalsCoder extends AtomicCoder<MetricTotals> {
  private static final MetricTotalsCoder INSTANCE = new MetricTotalsCoder();

  public static MetricTotalsCoder of() {
    return INSTANCE;
  }

  private MetricTotalsCoder() {}

  @Override
  public void encode(MetricTotals totals, OutputStream out) throws IOException {
    Codec.Buffer.encode(
        out,
        b -> {
          b.writeLong(totals.count());
          b.writeLong(totals.completed());
          b.writeLong(totals.distinctItems());
          b.writeLong(totals.maxItemCount());
        });
  }

  @Override
  public MetricTotals decode(InputStream in) throws IOException {
    long count = Codec.readLong(in);
    long completed = Codec.readLong(in);
    long distinct = Codec.readLong(in);
    long max = Codec.readLong(in);
    try {
      return MetricTotals.of(count, completed, distinct, max);
    } catch (IllegalArgumentException e) {
      throw new CoderException("corrupt MetricTotals: " + e.getMessage());
    }
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}

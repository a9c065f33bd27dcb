package io.collabpipeline.coders;

import io.collabpipeline.model.MetricAccumulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** Deterministic coder for {@link MetricAccumulator}: counters, then the items in sorted order. */
public final class MetricAccumulatorCoder extends AtomicCoder<MetricAccumulator> {
  private static final MetricAccumulatorCoder INSTANCE = new MetricAccumulatorCoder();

  public static MetricAccumulatorCoder of() {
    return INSTANCE;
  }

  private MetricAccumulatorCoder() {}

  @Override
  public void encode(MetricAccumulator acc, OutputStream out) throws IOException {
    Codec.Buffer.encode(
        out,
        b -> {
          b.writeLong(acc.count());
          b.writeLong(acc.completed());
          b.writeInt((int) acc.distinctItems());
          // Sorted by item: the same accumulator always encodes to the same bytes.
          acc.forEachItemSorted(
              (id, n) -> {
                b.writeString(id);
                b.writeLong(n);
              });
        });
  }

  @Override
  public MetricAccumulator decode(InputStream in) throws IOException {
    long count = Codec.readLong(in);
    long completed = Codec.readLong(in);
    int size = Codec.readInt(in);
    if (size < 0) {
      throw new IOException("negative item count " + size);
    }
    // Filled in place: the copying constructor would build the item map twice. Sized for at most
    // 65,536 items up front, so a corrupt count fails on reading the items, not on allocating.
    MetricAccumulator acc =
        new MetricAccumulator(Math.min(size, 1 << 16)).addCount(count).addCompleted(completed);
    for (int i = 0; i < size; i++) {
      acc.addItem(Codec.readString(in), Codec.readLong(in));
    }
    return acc;
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}

package io.collabpipeline.coders;

import io.collabpipeline.model.MetricAccumulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
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
    Codec.writeLong(acc.count(), out);
    Codec.writeLong(acc.completed(), out);
    Codec.writeInt(acc.items().size(), out);
    for (Map.Entry<String, Long> e : acc.items().entrySet()) {
      Codec.writeString(e.getKey(), out);
      Codec.writeLong(e.getValue(), out);
    }
  }

  @Override
  public MetricAccumulator decode(InputStream in) throws IOException {
    long count = Codec.readLong(in);
    long completed = Codec.readLong(in);
    int size = Codec.readInt(in);
    if (size < 0) {
      throw new IOException("negative item count " + size);
    }
    TreeMap<String, Long> items = new TreeMap<>();
    for (int i = 0; i < size; i++) {
      items.put(Codec.readString(in), Codec.readLong(in));
    }
    return new MetricAccumulator(count, completed, items);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}

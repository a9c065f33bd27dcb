package io.collabpipeline.coders;

import io.collabpipeline.model.MetricAccumulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * Deterministic coder for {@link MetricAccumulator}: counters, then the items in sorted order, so
 * the same accumulator always encodes to the same bytes (what state and checkpoints hold). {@link
 * #inTableOrder()} is its non-deterministic twin, for values that only cross a shuffle.
 */
public final class MetricAccumulatorCoder extends AtomicCoder<MetricAccumulator> {
  private static final long serialVersionUID = 1L;
  private static final MetricAccumulatorCoder INSTANCE = new MetricAccumulatorCoder();

  public static MetricAccumulatorCoder of() {
    return INSTANCE;
  }

  /**
   * The same layout, read the same way, with the items in the order of the accumulator's item
   * table: no sort and no lookup per item, but equal accumulators may encode to different bytes, so
   * it is not deterministic. For values that only cross a shuffle between two steps of one batch
   * job (the metric partials of a replay and of a Flink batch run), never for state.
   */
  public static AtomicCoder<MetricAccumulator> inTableOrder() {
    return InTableOrder.INSTANCE;
  }

  private MetricAccumulatorCoder() {}

  @Override
  public void encode(MetricAccumulator acc, OutputStream out) throws IOException {
    encode(acc, out, true);
  }

  @Override
  public MetricAccumulator decode(InputStream in) throws IOException {
    return decodeFrom(in);
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }

  private static void encode(MetricAccumulator acc, OutputStream out, boolean sorted)
      throws IOException {
    Codec.Buffer.encode(
        out,
        b -> {
          b.writeLong(acc.count());
          b.writeLong(acc.completed());
          b.writeInt((int) acc.distinctItems());
          MetricAccumulator.ItemVisitor<IOException> item =
              (id, n) -> {
                b.writeString(id);
                b.writeLong(n);
              };
          if (sorted) {
            // Sorted by item: the same accumulator always encodes to the same bytes.
            acc.forEachItemSorted(item);
          } else {
            acc.forEachItem(item);
          }
        });
  }

  private static MetricAccumulator decodeFrom(InputStream in) throws IOException {
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

  /** {@link #inTableOrder()}. */
  private static final class InTableOrder extends AtomicCoder<MetricAccumulator> {
    private static final long serialVersionUID = 1L;
    private static final InTableOrder INSTANCE = new InTableOrder();

    @Override
    public void encode(MetricAccumulator acc, OutputStream out) throws IOException {
      MetricAccumulatorCoder.encode(acc, out, false);
    }

    @Override
    public MetricAccumulator decode(InputStream in) throws IOException {
      return decodeFrom(in);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      throw new NonDeterministicException(
          this, "the items are written in the order of the accumulator's table, not sorted");
    }

    @Override
    public boolean consistentWithEquals() {
      return false;
    }
  }
}

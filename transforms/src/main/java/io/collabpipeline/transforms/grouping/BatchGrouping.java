package io.collabpipeline.transforms.grouping;

import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * How a bounded batch input is grouped most cheaply on Beam's Flink runner, whose batch translation
 * groups by sorting.
 *
 * <p>That translation sorts the input of a {@code Combine.perKey} twice: a pre-combining sort
 * before the shuffle, then the combine's own after it. A {@code GroupByKey} whose windowing keeps
 * the END_OF_WINDOW timestamp is sorted once. Where the values were already combined per key before
 * (in-mapper combining, {@code CombineInBundle}) or nearly every key is unique (the dedup's event
 * ids), the first sort only costs. Flink's batch translation also fires each key and window once,
 * whatever the trigger, and drops nothing as late, so grouping and then combining each group gives
 * what the combine gives.
 *
 * <p>Everywhere else (streaming, where a combine keeps one accumulator in state and its triggers
 * matter, and every other runner) the usual transforms are kept, under the same step names.
 */
public final class BatchGrouping {
  private BatchGrouping() {}

  /** Whether the pipeline runs on Beam's Flink runner (embedded, a cluster, or its test runner). */
  public static boolean onFlinkRunner(PipelineOptions options) {
    Class<?> runner = options.getRunner();
    return runner != null
        && runner.getName().startsWith("org.apache.beam.runners.flink.")
        && runner.getSimpleName().endsWith("FlinkRunner");
  }

  /** Whether the pipeline is a batch pipeline: not {@code --streaming}. */
  public static boolean isBatch(PipelineOptions options) {
    return !options.as(StreamingOptions.class).isStreaming();
  }

  /**
   * A bounded input of a batch pipeline, on any runner: a stream over bounded input (files, the
   * generator without a rate) is not one, since its checkpoints hold its steps.
   */
  public static boolean isBoundedBatch(PCollection<?> input) {
    return input.isBounded() == PCollection.IsBounded.BOUNDED
        && isBatch(input.getPipeline().getOptions());
  }

  /** A bounded input of a batch pipeline on Beam's Flink runner. */
  public static boolean isBoundedFlinkBatch(PCollection<?> input) {
    return isBoundedBatch(input) && onFlinkRunner(input.getPipeline().getOptions());
  }

  /**
   * {@code Combine.perKey(fn)}; on a bounded Flink batch input ({@link #isBoundedFlinkBatch}) a
   * {@code GroupByKey} and {@code fn} over each group instead, which that runner sorts once. The
   * caller sets the output's coder.
   */
  public static <K, V, O> PTransform<PCollection<KV<K, V>>, PCollection<KV<K, O>>> combinePerKey(
      PCollection<KV<K, V>> input, Combine.CombineFn<V, ?, O> fn) {
    if (isBoundedFlinkBatch(input)) {
      return new GroupThenCombine<>(fn);
    }
    return Combine.perKey(fn);
  }

  /** {@code GroupByKey}, then {@code fn} over each key's values. */
  private static final class GroupThenCombine<K, V, A, O>
      extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, O>>> {
    private final Combine.CombineFn<V, A, O> fn;

    GroupThenCombine(Combine.CombineFn<V, A, O> fn) {
      this.fn = fn;
    }

    @Override
    public PCollection<KV<K, O>> expand(PCollection<KV<K, V>> input) {
      return input
          .apply("GroupByKey", GroupByKey.create())
          .apply("CombineGroup", ParDo.of(new CombineGroupFn<>(fn)));
    }
  }

  private static final class CombineGroupFn<K, V, A, O> extends DoFn<KV<K, Iterable<V>>, KV<K, O>> {
    private final Combine.CombineFn<V, A, O> fn;

    CombineGroupFn(Combine.CombineFn<V, A, O> fn) {
      this.fn = fn;
    }

    @ProcessElement
    public void processElement(@Element KV<K, Iterable<V>> group, OutputReceiver<KV<K, O>> out) {
      A acc = fn.createAccumulator();
      for (V value : group.getValue()) {
        acc = fn.addInput(acc, value);
      }
      out.output(KV.of(group.getKey(), fn.extractOutput(acc)));
    }
  }
}

package io.collabpipeline.transforms.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * The partial results one bundle holds per window and key before they are emitted (in-mapper
 * combining), each with the earliest timestamp of the values it holds, and the bound on how many
 * are held: what {@link CombineInBundle} and {@link CompletenessTicks}' counts share. Not
 * thread-safe: one per DoFn instance, made afresh for each bundle.
 *
 * <p>A DoFn asks for the partial of a value's (window, key) with {@link #partial}, adds the value
 * to it, then, if it is {@link #overfull} (past {@code maxHeld} partials), {@link #emitWindow}s
 * that window's: they are removed and handed to the emitter (only the input's window can take a
 * DoFn's output there), so memory stays bounded by {@code maxHeld} plus one window's keys. {@link
 * #emitAll} hands over and removes everything, for {@code @FinishBundle}.
 */
final class HeldPartials<K, A> {

  /** One key's partial in one window: its accumulator and the earliest timestamp added to it. */
  static final class Partial<A> {
    A accumulator;
    long earliestMillis;

    private Partial(A accumulator, long earliestMillis) {
      this.accumulator = accumulator;
      this.earliestMillis = earliestMillis;
    }
  }

  /** Takes an emitted partial: its key, the partial and its window. */
  @FunctionalInterface
  interface Emitter<K, A> {
    void emit(K key, Partial<A> partial, BoundedWindow window);
  }

  private final int maxHeld;
  private final Map<BoundedWindow, Map<K, Partial<A>>> held = new HashMap<>();
  private int heldCount;

  /** {@code maxHeld} as given ({@link #requireMaxHeld}). */
  HeldPartials(int maxHeld) {
    this.maxHeld = requireMaxHeld(maxHeld, "HeldPartials");
  }

  /** {@code maxHeld} if it is at least 1; otherwise an error naming {@code owner}. */
  static int requireMaxHeld(int maxHeld, String owner) {
    if (maxHeld < 1) {
      throw new IllegalArgumentException(owner + " needs maxHeld >= 1, got " + maxHeld);
    }
    return maxHeld;
  }

  /**
   * The partial of {@code key} in {@code window}, made with {@code create} if there is none, its
   * earliest timestamp lowered to {@code timestampMillis} if that is earlier.
   */
  Partial<A> partial(BoundedWindow window, K key, long timestampMillis, Supplier<A> create) {
    Map<K, Partial<A>> keys = held.computeIfAbsent(window, w -> new HashMap<>());
    Partial<A> partial = keys.get(key);
    if (partial == null) {
      partial = new Partial<>(create.get(), timestampMillis);
      keys.put(key, partial);
      heldCount++;
    } else if (timestampMillis < partial.earliestMillis) {
      partial.earliestMillis = timestampMillis;
    }
    return partial;
  }

  /** Whether more than {@code maxHeld} partials are held. */
  boolean overfull() {
    return heldCount > maxHeld;
  }

  /** Emits and removes {@code window}'s partials. */
  void emitWindow(BoundedWindow window, Emitter<K, A> emitter) {
    Map<K, Partial<A>> keys = held.remove(window);
    if (keys == null) {
      return;
    }
    heldCount -= keys.size();
    for (Map.Entry<K, Partial<A>> e : keys.entrySet()) {
      emitter.emit(e.getKey(), e.getValue(), window);
    }
  }

  /** Emits and removes every held partial. */
  void emitAll(Emitter<K, A> emitter) {
    for (Map.Entry<BoundedWindow, Map<K, Partial<A>>> w : held.entrySet()) {
      for (Map.Entry<K, Partial<A>> e : w.getValue().entrySet()) {
        emitter.emit(e.getKey(), e.getValue(), w.getKey());
      }
    }
    held.clear();
    heldCount = 0;
  }
}

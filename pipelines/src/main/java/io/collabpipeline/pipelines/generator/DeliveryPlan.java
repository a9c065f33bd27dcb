package io.collabpipeline.pipelines.generator;

import io.collabpipeline.model.EventType;
import java.util.Locale;

/**
 * The choices about delivery {@code i} that depend on (seed, i) alone, before any JSON is written:
 * its kind, the original a duplicate repeats, its event type, the trigger of a notification, its
 * platform and its event id.
 *
 * <p>No recursion: a choice looks at most one level back (at the kinds and types of earlier
 * indexes), so any index is planned in bounded time, in any order. Thread-safe.
 */
final class DeliveryPlan {

  /**
   * Notifications are grouped in blocks of this many deliveries; a block's notifications share 1-3
   * triggers.
   */
  private static final int FANOUT_BLOCK = 24;

  /** How many earlier deliveries a retry or a trigger search looks at before giving up. */
  static final int MAX_SCAN = 64;

  private final WorkloadSpec spec;
  private final long seed;

  DeliveryPlan(WorkloadSpec spec) {
    this.spec = spec;
    this.seed = spec.seed();
  }

  /**
   * The kind drawn for {@code index}. A {@link Delivery.Kind#DUPLICATE} here is only a wish: it
   * becomes an original when {@link #retryTarget(long)} finds nothing to repeat.
   */
  Delivery.Kind kind(long index) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, Salt.KIND));
    if (u < spec.duplicateShare()) {
      return index > 0 ? Delivery.Kind.DUPLICATE : Delivery.Kind.ORIGINAL;
    }
    return u < spec.duplicateShare() + spec.malformedShare()
        ? Delivery.Kind.MALFORMED
        : Delivery.Kind.ORIGINAL;
  }

  /**
   * The earlier ORIGINAL a duplicate repeats, or -1 when there is none close enough (the delivery
   * is then original).
   */
  long retryTarget(long index) {
    SplitMix rng = new SplitMix(SplitMix.hash(seed, index, Salt.RETRY));
    long distance = 1 + rng.nextLong(Math.min((long) spec.maxRetryDistance(), index));
    for (long t = index - distance, steps = 0; t >= 0 && steps < MAX_SCAN; t--, steps++) {
      if (kind(t) == Delivery.Kind.ORIGINAL) {
        return t;
      }
    }
    return -1;
  }

  /**
   * The event type drawn for {@code index}, by {@link EventMix}. A notification without a {@link
   * #trigger(long)} is written as {@code task.updated} instead; see {@link EventWriter}.
   */
  EventType type(long index) {
    return EventMix.draw(SplitMix.unit(SplitMix.hash(seed, index, Salt.TYPE)));
  }

  /**
   * The trigger of a notification at {@code index}: a valid, earlier event that can trigger
   * notifications. The notifications of one block share one of 1–3 triggers, which gives a
   * realistic fan-out. -1 when there is none.
   */
  long trigger(long index) {
    long block = index / FANOUT_BLOCK;
    int triggersInBlock = 1 + (int) ((SplitMix.hash(seed, block, Salt.BLOCK) >>> 1) % 3);
    int choice = (int) ((SplitMix.hash(seed, index, Salt.BLOCK) >>> 1) % triggersInBlock);
    long back = 1 + (SplitMix.hash(seed, block * 4 + choice, Salt.TRIGGER) >>> 1) % 300;
    for (long t = block * FANOUT_BLOCK - back, steps = 0;
        t >= 0 && steps < MAX_SCAN;
        t--, steps++) {
      if (kind(t) == Delivery.Kind.ORIGINAL && EventMix.profile(type(t)).triggersNotifications()) {
        return t;
      }
    }
    return -1;
  }

  /**
   * The {@code source.platform} of the event at {@code index}, by the clients that send its type.
   */
  String platform(long index, EventType type) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, Salt.PLATFORM));
    return EventMix.profile(type).clients().platform(u);
  }

  /** The event id of the event at {@code index}, in the style of its platform's client library. */
  String eventId(long index, String platform) {
    long h1 = SplitMix.hash(seed, index, Salt.ID);
    long h2 = SplitMix.hash(seed, index, Salt.ID_LOW);
    switch (platform) {
      case "ios":
        return Ids.uuid(h1, h2).toUpperCase(Locale.ROOT);
      case "android":
        return Ids.uuid(h1, h2);
      case "backend":
        return "evt_"
            + Long.toHexString(h1 | Long.MIN_VALUE)
            + Long.toHexString(h2 | Long.MIN_VALUE).substring(0, 8);
      default:
        SplitMix rng = new SplitMix(h1 ^ h2);
        int length = 16 + rng.nextInt(17);
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
          id.append(Vocabulary.ID_ALPHABET.charAt(rng.nextInt(Vocabulary.ID_ALPHABET.length())));
        }
        return id.toString();
    }
  }
}

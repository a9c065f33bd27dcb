package io.collabpipeline.transforms.grouping;

import io.collabpipeline.coders.EventChunk;
import io.collabpipeline.model.CollabEvent;
import java.io.IOException;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Gathers a bounded input's events in chunks per shard of their event id, each event encoded as it
 * arrives ({@link EventChunk}), so that a grouping by shard moves and sorts chunks of events, not
 * events: every copy of an id goes into the same shard. A chunk goes on when it holds {@code
 * chunkEvents} events, every open chunk when {@code maxBufferedEvents} events or {@code
 * maxBufferedBytes} bytes are held, and at the end of the bundle; each in the global window at the
 * earliest timestamp of its events. For the bounded recomputes that deduplicate per shard: the
 * replay's ({@code metrics.ShardedMetrics}) and the bounded path of {@code dedup.DedupByEventId}.
 */
public final class ShardChunks extends DoFn<CollabEvent, KV<Integer, byte[]>> {
  private static final long serialVersionUID = 1L;

  /** Bytes a shard's chunk starts with (it grows as events are added). */
  private static final int FIRST_CHUNK_BYTES = 1024;

  private final int shards;
  private final int chunkEvents;
  private final int maxBufferedEvents;
  private final long maxBufferedBytes;
  private transient EventChunk[] chunks;
  private transient long[] earliest;
  private transient int bufferedEvents;
  private transient long bufferedBytes;

  /**
   * @param shards how many shards the event ids are spread over (at least 1)
   * @param chunkEvents events a chunk holds before it goes on (at least 1)
   * @param maxBufferedEvents events held in open chunks, all shards together, before all go on
   * @param maxBufferedBytes the same in encoded bytes
   */
  public ShardChunks(int shards, int chunkEvents, int maxBufferedEvents, long maxBufferedBytes) {
    if (shards < 1 || chunkEvents < 1 || maxBufferedEvents < 1 || maxBufferedBytes < 1) {
      throw new IllegalArgumentException(
          "ShardChunks needs shards, chunk events and buffered limits >= 1, got "
              + shards
              + ", "
              + chunkEvents
              + ", "
              + maxBufferedEvents
              + ", "
              + maxBufferedBytes);
    }
    this.shards = shards;
    this.chunkEvents = chunkEvents;
    this.maxBufferedEvents = maxBufferedEvents;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /**
   * The shards for {@code bytes} of input, so that none holds more than {@code bytesPerShard} on
   * average (a shard's events are in a worker's heap at once): {@code atLeast}, or one per {@code
   * bytesPerShard} of a larger input, at most {@link Integer#MAX_VALUE}.
   */
  public static int shardsFor(long bytes, long bytesPerShard, int atLeast) {
    long needed = bytes / bytesPerShard + (bytes % bytesPerShard == 0 ? 0 : 1);
    return (int) Math.min(Integer.MAX_VALUE, Math.max(atLeast, needed));
  }

  /** The shard of an event id: its String hash, its bits spread, modulo {@code shards}. */
  public static int shardOf(String eventId, int shards) {
    int h = eventId.hashCode() * 0x9E3779B9;
    return Math.floorMod(h ^ (h >>> 16), shards);
  }

  @StartBundle
  public void startBundle() {
    chunks = new EventChunk[shards];
    earliest = new long[shards];
    bufferedEvents = 0;
    bufferedBytes = 0;
  }

  @ProcessElement
  public void processElement(
      @Element CollabEvent event,
      @Timestamp Instant timestamp,
      OutputReceiver<KV<Integer, byte[]>> out)
      throws IOException {
    int shard = shardOf(event.eventId(), shards);
    EventChunk chunk = chunks[shard];
    if (chunk == null) {
      chunk = new EventChunk(FIRST_CHUNK_BYTES);
      chunks[shard] = chunk;
      earliest[shard] = timestamp.getMillis();
    } else if (timestamp.getMillis() < earliest[shard]) {
      earliest[shard] = timestamp.getMillis();
    }
    int before = chunk.bytes();
    chunk.add(event);
    bufferedEvents++;
    bufferedBytes += chunk.bytes() - before;
    if (chunk.events() >= chunkEvents) {
      bufferedEvents -= chunk.events();
      bufferedBytes -= chunk.bytes();
      out.outputWithTimestamp(KV.of(shard, chunk.take()), new Instant(earliest[shard]));
      chunks[shard] = null; // there may be millions of shards: hold only the open chunks
    } else if (bufferedEvents >= maxBufferedEvents || bufferedBytes >= maxBufferedBytes) {
      for (int s = 0; s < shards; s++) {
        if (chunks[s] != null) {
          out.outputWithTimestamp(KV.of(s, chunks[s].take()), new Instant(earliest[s]));
          chunks[s] = null;
        }
      }
      bufferedEvents = 0;
      bufferedBytes = 0;
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    for (int s = 0; s < shards; s++) {
      if (chunks[s] != null) {
        context.output(KV.of(s, chunks[s].take()), new Instant(earliest[s]), GlobalWindow.INSTANCE);
        chunks[s] = null;
      }
    }
    bufferedEvents = 0;
    bufferedBytes = 0;
  }

  /** A chunk goes out at its earliest event, which may be before the element at hand. */
  @Override
  @SuppressWarnings("deprecation")
  public Duration getAllowedTimestampSkew() {
    return Duration.millis(Long.MAX_VALUE);
  }
}

package io.collabpipeline.pipelines.stores;

import io.collabpipeline.coders.EventChunk;
import io.collabpipeline.model.CollabEvent;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * A bounded write's events in chunks per file: each event goes into the chunk of its destination
 * ({@link PartitionedFiles#destination}) and arrival window, encoded as it arrives ({@link
 * EventChunk}), so that the write's grouping into files moves and sorts one element per chunk, not
 * one per event. On Flink's batch runner that grouping is a sort under a few keys per hour of data,
 * where nearly every comparison of two events ties and reads both back from the sort's memory: the
 * sort, its spilling and its reading were about a tenth of a batch run's CPU samples.
 *
 * <p>{@link ChunkFn} takes events in the global window, timestamped with their arrival time, and
 * emits {@code KV<destination in its window, chunk>} ({@link PartitionedFiles#inWindow}) at the
 * earliest arrival time of the chunk's events: the key carries the arrival window, so the write
 * groups (and a runner spreads over its workers) each window's file under a key of its own. Under
 * the destination alone, every file of an hour's partition and shard would be grouped under one
 * key, so one worker would write all of that hour's minutes, and a batch input that arrived over
 * many minutes (the generator's arrival clock, files written over hours) would spread over the
 * workers by hour and shard only. A chunk goes on when it holds {@code maxEvents} events or {@code
 * maxChunkBytes} bytes, all chunks when {@code maxBufferedBytes} are held, and the rest at the end
 * of the bundle. {@link ChunkSink} writes each event of a chunk with the events' own sink: the
 * files hold the same rows under the same names as a stream's write.
 */
final class RawChunks {
  /** Events in a chunk before it goes on. */
  static final int MAX_EVENTS = 512;

  /** Bytes in a chunk before it goes on. */
  static final int MAX_CHUNK_BYTES = 1 << 20;

  /** Bytes held in chunks, per instance, before all go on. */
  static final long MAX_BUFFERED_BYTES = 32L << 20;

  /** Bytes a chunk's array starts with. */
  private static final int FIRST_CHUNK_BYTES = 16 * 1024;

  private RawChunks() {}

  /** Which chunk: the arrival window's start and the destination. A probe is reused per event. */
  private static final class ChunkKey {
    long window;
    String destination;
    int hash;

    ChunkKey set(long window, String destination) {
      this.window = window;
      this.destination = destination;
      this.hash = destination.hashCode() * 31 + Long.hashCode(window);
      return this;
    }

    ChunkKey copy() {
      return new ChunkKey().set(window, destination);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof ChunkKey)) {
        return false;
      }
      ChunkKey that = (ChunkKey) o;
      return window == that.window
          && (destination == that.destination || destination.equals(that.destination));
    }
  }

  /** An open chunk and the earliest arrival time of its events. */
  private static final class Open {
    final String destination;
    final EventChunk chunk = new EventChunk(FIRST_CHUNK_BYTES);
    long earliestMillis = Long.MAX_VALUE;

    Open(String destination) {
      this.destination = destination;
    }

    KV<String, byte[]> take() {
      return KV.of(destination, chunk.take());
    }
  }

  /** Gathers a bounded write's events into chunks per destination and arrival window. */
  static final class ChunkFn extends DoFn<CollabEvent, KV<String, byte[]>> {
    private static final long serialVersionUID = 1L;
    private final FixedWindows windows;
    private final int numShards;
    private final int maxEvents;
    private final int maxChunkBytes;
    private final long maxBufferedBytes;

    private transient Map<ChunkKey, Open> open;
    private transient ChunkKey probe;
    private transient long buffered;

    ChunkFn(
        Duration windowSize,
        int numShards,
        int maxEvents,
        int maxChunkBytes,
        long maxBufferedBytes) {
      if (maxEvents < 1 || maxChunkBytes < 1 || maxBufferedBytes < 1) {
        throw new IllegalArgumentException("a raw chunk's limits must be >= 1");
      }
      this.windows = FixedWindows.of(windowSize);
      this.numShards = numShards;
      this.maxEvents = maxEvents;
      this.maxChunkBytes = maxChunkBytes;
      this.maxBufferedBytes = maxBufferedBytes;
    }

    @StartBundle
    public void startBundle() {
      open = new HashMap<>();
      probe = new ChunkKey();
      buffered = 0;
    }

    @ProcessElement
    public void processElement(
        @Element CollabEvent event,
        @Timestamp Instant timestamp,
        OutputReceiver<KV<String, byte[]>> out)
        throws IOException {
      String destination =
          PartitionedFiles.destination(event.occurredAtMillis(), event.eventId(), numShards);
      long window = windows.assignWindow(timestamp).start().getMillis();
      Open chunk = open.get(probe.set(window, destination));
      if (chunk == null) {
        chunk = new Open(PartitionedFiles.inWindow(destination, window));
        open.put(probe.copy(), chunk);
      }
      int before = chunk.chunk.bytes();
      chunk.chunk.add(event);
      chunk.earliestMillis = Math.min(chunk.earliestMillis, timestamp.getMillis());
      buffered += chunk.chunk.bytes() - before;
      if (chunk.chunk.events() >= maxEvents || chunk.chunk.bytes() >= maxChunkBytes) {
        buffered -= chunk.chunk.bytes();
        out.outputWithTimestamp(chunk.take(), new Instant(chunk.earliestMillis));
        open.remove(probe);
      } else if (buffered >= maxBufferedBytes) {
        for (Open o : open.values()) {
          out.outputWithTimestamp(o.take(), new Instant(o.earliestMillis));
        }
        open.clear();
        buffered = 0;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (Open o : open.values()) {
        context.output(o.take(), new Instant(o.earliestMillis), GlobalWindow.INSTANCE);
      }
      open.clear();
      buffered = 0;
    }

    /** A chunk goes out at its earliest event, which may be before the element at hand. */
    @Override
    @SuppressWarnings("deprecation")
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }

  /** Writes every event of each chunk with {@code events}, in the order they were added. */
  static final class ChunkSink implements FileIO.Sink<byte[]> {
    private static final long serialVersionUID = 1L;
    private final FileIO.Sink<CollabEvent> events;

    ChunkSink(FileIO.Sink<CollabEvent> events) {
      this.events = events;
    }

    @Override
    public void open(WritableByteChannel channel) throws IOException {
      events.open(channel);
    }

    @Override
    public void write(byte[] chunk) throws IOException {
      EventChunk.forEach(chunk, events::write);
    }

    @Override
    public void flush() throws IOException {
      events.flush();
    }
  }
}

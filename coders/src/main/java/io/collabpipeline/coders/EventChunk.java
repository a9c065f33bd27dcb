package io.collabpipeline.coders;

import io.collabpipeline.model.CollabEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CoderException;

/**
 * Events encoded back to back, each as {@link CollabEventCoder} encodes it, in one growing array: a
 * batch of events that crosses a shuffle as one {@code byte[]} ({@code ByteArrayCoder}), encoded as
 * each event arrives, while its strings are still in the cache, and then held as bytes, not as
 * objects that every young collection would copy. Not thread-safe.
 */
public final class EventChunk {
  private static final CollabEventCoder CODER = CollabEventCoder.of();
  private static final byte[] NONE = new byte[0];

  private final int firstCapacity;
  private byte[] bytes;
  private int size;
  private int events;

  private final OutputStream appender =
      new OutputStream() {
        @Override
        public void write(int b) {
          ensure(1);
          bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
          ensure(len);
          System.arraycopy(b, off, bytes, size, len);
          size += len;
        }
      };

  /** An empty chunk whose array starts at {@code firstCapacity} bytes (at least 16) when used. */
  public EventChunk(int firstCapacity) {
    this.firstCapacity = Math.max(16, firstCapacity);
    this.bytes = NONE;
  }

  /** Appends the encoding of {@code event}. */
  public void add(CollabEvent event) throws IOException {
    CODER.encode(event, appender);
    events++;
  }

  /** Events added since the chunk was made or last taken. */
  public int events() {
    return events;
  }

  /** Bytes their encodings take. */
  public int bytes() {
    return size;
  }

  /**
   * The encodings added so far, as one array of exactly their length; the chunk is then empty and
   * holds no array until the next {@link #add}.
   */
  public byte[] take() {
    byte[] out = Arrays.copyOf(bytes, size);
    bytes = NONE;
    size = 0;
    events = 0;
    return out;
  }

  /** Takes one event of a chunk. */
  @FunctionalInterface
  public interface EventConsumer {
    void accept(CollabEvent event) throws IOException;
  }

  /**
   * Hands each event of {@code chunk} (what {@link #take} returned) to {@code consumer}, in the
   * order they were added; each is {@link CollabEventCoder#decode}'s event of its own bytes.
   *
   * @throws CoderException if the array does not end where an encoding ends, or holds an encoding
   *     of a version this coder does not know
   */
  public static void forEach(byte[] chunk, EventConsumer consumer) throws IOException {
    int position = 0;
    while (position < chunk.length) {
      position =
          CollabEventCoder.take(
              chunk, position, encoding -> consumer.accept(new EncodedCollabEvent(encoding)));
    }
  }

  private void ensure(int more) {
    int needed = size + more;
    if (needed > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(needed, Math.max(firstCapacity, bytes.length * 2)));
    }
  }
}

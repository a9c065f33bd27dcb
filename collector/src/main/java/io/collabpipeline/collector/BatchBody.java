package io.collabpipeline.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a request body into its records, each as the exact bytes the client sent (so a record the
 * pipeline's validator refuses is quarantined as received): a JSON array of events, or
 * newline-delimited JSON (one event a line; empty lines are not records).
 */
final class BatchBody {
  private static final JsonFactory JSON = new JsonFactory();

  /** Thrown when a JSON array body cannot be split into elements (broken syntax). */
  static final class Unsplittable extends Exception {
    private static final long serialVersionUID = 1L;

    Unsplittable(String message) {
      super(message, null, false, false);
    }
  }

  private BatchBody() {}

  /** The elements of a JSON array, each as its bytes. */
  static List<byte[]> jsonArray(byte[] body) throws Unsplittable {
    List<byte[]> records = new ArrayList<>();
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new Unsplittable("the body is not a JSON array of events");
      }
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new Unsplittable("the JSON array is not closed");
        }
        int start = (int) p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        int end = (int) p.currentLocation().getByteOffset();
        records.add(Arrays.copyOfRange(body, start, end));
      }
      if (p.nextToken() != null) {
        throw new Unsplittable("data after the JSON array");
      }
    } catch (IOException e) {
      // Jackson's message quotes the input: keep it out.
      throw new Unsplittable(
          "the body is not valid JSON (at byte " + offsetOf(e) + "); nothing was accepted");
    }
    return records;
  }

  private static long offsetOf(IOException e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException
        && ((com.fasterxml.jackson.core.JsonProcessingException) e).getLocation() != null) {
      return ((com.fasterxml.jackson.core.JsonProcessingException) e).getLocation().getByteOffset();
    }
    return -1;
  }

  /** The lines of an NDJSON body; a line of only white space is not a record. */
  static List<byte[]> ndjson(byte[] body) {
    List<byte[]> records = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= body.length; i++) {
      if (i == body.length || body[i] == '\n') {
        int end = i;
        if (end > start && body[end - 1] == '\r') {
          end--;
        }
        if (!isBlank(body, start, end)) {
          records.add(Arrays.copyOfRange(body, start, end));
        }
        start = i + 1;
      }
    }
    return records;
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }
}

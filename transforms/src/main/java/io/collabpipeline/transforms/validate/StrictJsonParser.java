package io.collabpipeline.transforms.validate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.collabpipeline.model.ReasonCode;
import io.collabpipeline.transforms.ByteWords;
import java.io.CharConversionException;
import java.io.IOException;

/**
 * Parses one record as a strict RFC 8259 JSON text whose top-level value is an object, or says
 * precisely why not.
 *
 * <p>Rules, in order: not empty or only white space; at most {@code maxRecordBytes}; valid UTF-8
 * (no overlong forms, no surrogates) with no NUL byte (a JSON text never holds one, and it would
 * make the parser guess UTF-16/32); one JSON value with Jackson's strict defaults (no comments,
 * NaN, single quotes, leading zeros or trailing commas), no duplicate key in any object, nesting at
 * most {@code maxNestingDepth}; then nothing but white space; no string (key or value) that escapes
 * a lone UTF-16 surrogate ({@link #firstLoneSurrogateEscape}: such a string has no UTF-8 form, and
 * every later UTF-8 encoding, the coders' included, would silently turn it into {@code ?}); and the
 * value is an object. Details name a byte offset or a line and column, never content: Jackson's own
 * messages quote the input.
 *
 * <p>Thread-safe; build one per DoFn instance (in {@code @Setup}) from the transform's limits.
 */
final class StrictJsonParser {

  /** The outcome of one parse: an object, or a reason and a payload-free detail. */
  static final class Outcome {
    final ObjectNode object;
    final ReasonCode reason;
    final String detail;

    private Outcome(ObjectNode object, ReasonCode reason, String detail) {
      this.object = object;
      this.reason = reason;
      this.detail = detail;
    }

    static Outcome ok(ObjectNode object) {
      return new Outcome(object, null, null);
    }

    static Outcome fail(ReasonCode reason, String detail) {
      return new Outcome(null, reason, detail);
    }

    boolean isOk() {
      return object != null;
    }
  }

  private static final long BACKSLASHES = ByteWords.repeated((byte) '\\');

  /** {@link #scan} flag: not well-formed UTF-8. */
  static final int INVALID_UTF8 = 1;

  /** {@link #scan} flag: a backslash (the lone-surrogate check must run). */
  static final int HAS_BACKSLASH = 2;

  /** {@link #scan} flag: a NUL byte. */
  static final int HAS_NUL = 4;

  private final int maxRecordBytes;
  private final int maxNestingDepth;
  private final ObjectMapper mapper;
  private final ObjectMapper fastMapper;

  StrictJsonParser(int maxRecordBytes, int maxNestingDepth) {
    this.maxRecordBytes = maxRecordBytes;
    this.maxNestingDepth = maxNestingDepth;
    this.mapper = mapper(maxRecordBytes, maxNestingDepth, true);
    this.fastMapper = mapper(maxRecordBytes, maxNestingDepth, false);
  }

  /**
   * The strict mapper ({@code streamDuplicates}: the parser refuses a duplicate key where it reads
   * it, and its location is the detail's) or the fast one: the same limits, with duplicates refused
   * by the tree reader instead, which costs nothing (it notices a key it replaces) but fails later
   * in the text. The fast one is only trusted when it succeeds: a text it accepts, the strict one
   * accepts as the same tree; any text it refuses is parsed again by the strict one for the reason
   * and detail.
   */
  private static ObjectMapper mapper(
      int maxRecordBytes, int maxNestingDepth, boolean streamDuplicates) {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(maxNestingDepth)
                    .maxDocumentLength(maxRecordBytes)
                    .build())
            .configure(StreamReadFeature.STRICT_DUPLICATE_DETECTION, streamDuplicates)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();
    return JsonMapper.builder(factory)
        // Keep decimals exact: a double would turn 1e400 into Infinity, which is not JSON when
        // written back.
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .configure(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY, !streamDuplicates)
        .build();
  }

  /** The mapper the parser reads with; also fit for writing the canonical output. */
  ObjectMapper mapper() {
    return mapper;
  }

  Outcome parse(byte[] bytes) {
    if (isBlank(bytes)) {
      return Outcome.fail(ReasonCode.EMPTY_RECORD, "record is empty or only white space");
    }
    if (bytes.length > maxRecordBytes) {
      return Outcome.fail(
          ReasonCode.TOO_LARGE,
          "record is " + bytes.length + " bytes, the limit is " + maxRecordBytes);
    }
    int flags = scan(bytes);
    if ((flags & INVALID_UTF8) != 0) {
      return Outcome.fail(
          ReasonCode.NOT_UTF8, "invalid UTF-8 at byte offset " + firstInvalidUtf8(bytes));
    }
    if ((flags & HAS_NUL) != 0) {
      return Outcome.fail(ReasonCode.NOT_JSON, "NUL byte at byte offset " + indexOfNul(bytes));
    }
    ObjectNode fast = fastObject(bytes);
    if (fast != null) {
      int lone = (flags & HAS_BACKSLASH) != 0 ? firstLoneSurrogateEscape(bytes) : -1;
      return lone >= 0 ? loneSurrogate(lone) : Outcome.ok(fast);
    }
    return strictParse(bytes);
  }

  /**
   * The object the fast mapper reads from {@code bytes} if it reads exactly one JSON object and
   * nothing after it, else null (whatever went wrong: the strict parse then says what).
   */
  private ObjectNode fastObject(byte[] bytes) {
    try (JsonParser parser = fastMapper.createParser(bytes)) {
      JsonNode root = fastMapper.readTree(parser);
      if (root == null || !root.isObject() || parser.nextToken() != null) {
        return null;
      }
      return (ObjectNode) root;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Outcome loneSurrogate(int offset) {
    return Outcome.fail(
        ReasonCode.NOT_UTF8,
        "a string escapes a lone UTF-16 surrogate at byte offset "
            + offset
            + ": it has no UTF-8 form");
  }

  /** The parse with the strict mapper, after the byte checks: the outcome and its detail. */
  private Outcome strictParse(byte[] bytes) {
    JsonNode root;
    try (JsonParser parser = mapper.createParser(bytes)) {
      try {
        root = mapper.readTree(parser);
      } catch (StreamConstraintsException e) {
        return e.getMessage() != null && e.getMessage().contains("nesting depth")
            ? Outcome.fail(
                ReasonCode.TOO_DEEP, "nesting deeper than " + maxNestingDepth + " " + where(e))
            : Outcome.fail(ReasonCode.NOT_JSON, "a token exceeds the parser's limits " + where(e));
      } catch (JsonParseException e) {
        if (e.getOriginalMessage() != null
            && e.getOriginalMessage().startsWith("Duplicate field")) {
          return Outcome.fail(ReasonCode.DUPLICATE_KEY, "duplicate key " + where(e));
        }
        return Outcome.fail(ReasonCode.NOT_JSON, "not a JSON text " + where(e));
      } catch (CharConversionException e) {
        return Outcome.fail(ReasonCode.NOT_UTF8, "invalid UTF-8");
      } catch (JsonProcessingException e) {
        return Outcome.fail(ReasonCode.NOT_JSON, "not a JSON text " + where(e));
      }
      if (root == null || root.isMissingNode()) {
        return Outcome.fail(ReasonCode.EMPTY_RECORD, "record holds no JSON value");
      }
      try {
        if (parser.nextToken() != null) {
          return Outcome.fail(
              ReasonCode.TRAILING_DATA, "more data after the first JSON value " + where(parser));
        }
      } catch (JsonProcessingException e) {
        return Outcome.fail(
            ReasonCode.TRAILING_DATA, "more data after the first JSON value " + where(e));
      }
    } catch (IOException e) {
      // Reading from a byte array does no I/O; anything else here is a malformed text.
      return Outcome.fail(ReasonCode.NOT_JSON, "not a JSON text");
    }
    int lone = firstLoneSurrogateEscape(bytes);
    if (lone >= 0) {
      return loneSurrogate(lone);
    }
    if (!root.isObject()) {
      return Outcome.fail(
          ReasonCode.NOT_AN_OBJECT, "top-level value is " + article(root) + ", not an object");
    }
    return Outcome.ok((ObjectNode) root);
  }

  private static String article(JsonNode node) {
    switch (node.getNodeType()) {
      case ARRAY:
        return "an array";
      case STRING:
        return "a string";
      case NUMBER:
        return "a number";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      default:
        return "not an object";
    }
  }

  private static String where(JsonProcessingException e) {
    return where(e.getLocation());
  }

  private static String where(JsonParser p) {
    return where(p.currentTokenLocation());
  }

  private static String where(JsonLocation l) {
    if (l == null) {
      return "";
    }
    return "at line " + l.getLineNr() + " column " + l.getColumnNr();
  }

  /**
   * {@link #INVALID_UTF8}, {@link #HAS_NUL} and {@link #HAS_BACKSLASH} of {@code b}, in one pass
   * that reads runs of ASCII eight bytes at a time. The offsets of the rare failures are found
   * again by {@link #firstInvalidUtf8} and {@link #indexOfNul}; a record without a backslash needs
   * no lone-surrogate check.
   */
  static int scan(byte[] b) {
    long nul = 0;
    long backslash = 0;
    int flags = 0;
    int n = b.length;
    int i = 0;
    while (i < n) {
      if (i + 8 <= n) {
        long w = ByteWords.word(b, i);
        if ((w & ByteWords.HIGH_BITS) == 0) {
          nul |= ByteWords.zeroBytes(w);
          backslash |= ByteWords.zeroBytes(w ^ BACKSLASHES);
          i += 8;
          continue;
        }
      }
      byte c = b[i];
      if (c >= 0) {
        if (c == 0) {
          flags |= HAS_NUL;
        } else if (c == '\\') {
          flags |= HAS_BACKSLASH;
        }
        i++;
        continue;
      }
      int end = sequenceEnd(b, i);
      if (end < 0) {
        return flags | INVALID_UTF8;
      }
      i = end;
    }
    if (nul != 0) {
      flags |= HAS_NUL;
    }
    if (backslash != 0) {
      flags |= HAS_BACKSLASH;
    }
    return flags;
  }

  private static boolean isBlank(byte[] b) {
    for (byte x : b) {
      if (x != ' ' && x != '\n' && x != '\r' && x != '\t') {
        return false;
      }
    }
    return true;
  }

  private static int indexOfNul(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Offset of the first backslash-u escape of a lone UTF-16 surrogate in a valid JSON text, or -1:
   * an escaped high surrogate (D800-DBFF) not immediately followed by an escaped low one
   * (DC00-DFFF), or an escaped low surrogate not preceded by a high one. Escapes are the only way a
   * surrogate reaches a parsed string: {@link #firstInvalidUtf8} refuses encoded ones. Only for
   * texts the parser accepted: in a JSON text every backslash starts an escape.
   */
  static int firstLoneSurrogateEscape(byte[] b) {
    int n = b.length;
    int i = 0;
    while (i < n) {
      if (b[i] != '\\') {
        i++;
        continue;
      }
      if (i + 5 >= n || b[i + 1] != 'u') {
        i += 2; // a two-character escape, such as an escaped backslash
        continue;
      }
      int unit = hex4(b, i + 2);
      if (unit >= 0xdc00 && unit <= 0xdfff) {
        return i;
      }
      if (unit >= 0xd800 && unit <= 0xdbff) {
        int low = i + 11 < n && b[i + 6] == '\\' && b[i + 7] == 'u' ? hex4(b, i + 8) : -1;
        if (low < 0xdc00 || low > 0xdfff) {
          return i;
        }
        i += 12;
        continue;
      }
      i += 6;
    }
    return -1;
  }

  /** The value of four hex digits at {@code from}, or -1. */
  private static int hex4(byte[] b, int from) {
    int v = 0;
    for (int k = from; k < from + 4; k++) {
      int d = Character.digit(b[k], 16);
      if (d < 0) {
        return -1;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /**
   * Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1.
   */
  static int firstInvalidUtf8(byte[] b) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      if (b[i] >= 0) {
        i++;
        continue;
      }
      int end = sequenceEnd(b, i);
      if (end < 0) {
        return i;
      }
      i = end;
    }
    return -1;
  }

  /**
   * The offset after the well-formed multi-byte UTF-8 sequence starting at {@code i} (whose first
   * byte is >= 0x80), or -1 if it is not one (RFC 3629: no overlong form, no surrogate, at most
   * U+10FFFF).
   */
  private static int sequenceEnd(byte[] b, int i) {
    int c = b[i] & 0xff;
    int need;
    int min;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return -1;
    }
    if (i + need >= b.length) {
      return -1;
    }
    int cp = c & (0x3f >> need);
    for (int k = 1; k <= need; k++) {
      int cc = b[i + k] & 0xff;
      if ((cc & 0xc0) != 0x80) {
        return -1;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return -1;
    }
    return i + need + 1;
  }
}

package io.collabpipeline.transforms.validate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.collabpipeline.model.ReasonCode;
import java.nio.charset.StandardCharsets;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Each strict-JSON rule gives its own reason, and details never quote the input. */
@RunWith(JUnit4.class)
public class StrictJsonParserTest {
  private final StrictJsonParser parser = new StrictJsonParser(1024, 8);

  private ReasonCode reason(String text) {
    return reason(text.getBytes(StandardCharsets.UTF_8));
  }

  private ReasonCode reason(byte[] bytes) {
    StrictJsonParser.Outcome o = parser.parse(bytes);
    return o.isOk() ? null : o.reason;
  }

  private static String nest(int depth) {
    StringBuilder sb = new StringBuilder("{\"a\":");
    for (int i = 1; i < depth; i++) {
      sb.append('[');
    }
    sb.append('1');
    for (int i = 1; i < depth; i++) {
      sb.append(']');
    }
    return sb.append('}').toString();
  }

  @Test
  public void acceptsAStrictObject() {
    assertThat(reason(" {\"a\":[1,2.5e3,\"x\\u00e9\",true,null,{}]}\r\n\t"), nullValue());
    assertThat(
        reason("\uFEFF{\"a\":1}"), nullValue()); // RFC 8259 allows ignoring a UTF-8 byte order mark
  }

  @Test
  public void classifiesEachFailure() {
    assertThat(reason(""), equalTo(ReasonCode.EMPTY_RECORD));
    assertThat(reason(" \r\n\t"), equalTo(ReasonCode.EMPTY_RECORD));
    assertThat(reason(new byte[1025]), equalTo(ReasonCode.TOO_LARGE));
    assertThat(
        reason(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, 0x28, '"', '}'}),
        equalTo(ReasonCode.NOT_UTF8));
    assertThat(reason("{'a':1}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("{\"a\":NaN}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("{\"a\":1,}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("{\"a\":01}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("/* c */{\"a\":1}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("{\"a\":\"tab\tin string\"}"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("{\"a\":1"), equalTo(ReasonCode.NOT_JSON));
    assertThat(reason("[1,2]"), equalTo(ReasonCode.NOT_AN_OBJECT));
    assertThat(reason("\"str\""), equalTo(ReasonCode.NOT_AN_OBJECT));
    assertThat(reason("null"), equalTo(ReasonCode.NOT_AN_OBJECT));
    assertThat(reason("{\"a\":1,\"b\":{\"c\":1,\"c\":2}}"), equalTo(ReasonCode.DUPLICATE_KEY));
    assertThat(reason(nest(9)), equalTo(ReasonCode.TOO_DEEP));
    assertThat(reason(nest(8)), nullValue());
    assertThat(reason("{\"a\":1}{\"a\":2}"), equalTo(ReasonCode.TRAILING_DATA));
    assertThat(reason("{\"a\":1} x"), equalTo(ReasonCode.TRAILING_DATA));
    assertThat(reason("{\"a\":1}]"), equalTo(ReasonCode.TRAILING_DATA));
  }

  @Test
  public void rejectsMalformedUtf8Forms() {
    byte[][] bad = {
      {'{', (byte) 0xc0, (byte) 0xaf, '}'}, // overlong '/'
      {'{', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '}'}, // UTF-16 surrogate
      {'{', (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '}'}, // above U+10FFFF
      {'{', (byte) 0xe2, (byte) 0x82}, // truncated
      {(byte) 0xfe, (byte) 0xff, 0, '{', 0, '}'}, // UTF-16 with BOM
    };
    for (byte[] b : bad) {
      assertThat(reason(b), equalTo(ReasonCode.NOT_UTF8));
    }
    assertThat(
        StrictJsonParser.firstInvalidUtf8(
            "h\u00e9\u20ac\uD83D\uDE00".getBytes(StandardCharsets.UTF_8)),
        equalTo(-1));
  }

  @Test
  public void aLoneSurrogateEscapeInAnyStringIsNotUtf8() {
    String[] lone = {
      "{\"a\":\"\\ud800\"}", // a high surrogate alone
      "{\"a\":\"x\\uDBFFy\"}", // the last high surrogate, between letters
      "{\"a\":\"\\udc00\"}", // a low surrogate alone
      "{\"a\":\"\\uDE00\\uD83D\"}", // a pair in the wrong order
      "{\"a\":\"\\ud83d\\u0041\"}", // a high surrogate followed by an escape that is not a low one
      "{\"a\":\"\\ud83d\\n\"}", // a high surrogate followed by another kind of escape
      "{\"a\":[\"ok\",{\"b\":\"\\ud83d\"}]}", // deep inside
      "{\"\\ud800\":1}", // in a key
    };
    for (String text : lone) {
      StrictJsonParser.Outcome o = parser.parse(text.getBytes(StandardCharsets.UTF_8));
      assertThat(text, o.reason, equalTo(ReasonCode.NOT_UTF8));
      assertThat(
          text,
          o.detail,
          containsString("lone UTF-16 surrogate at byte offset " + text.indexOf("\\u")));
    }
    assertThat(
        reason("{\"a\":\"\\ud800\""),
        equalTo(ReasonCode.NOT_JSON)); // the parser's rules come first
  }

  @Test
  public void surrogatePairsAndLookalikesAreAccepted() {
    String[] fine = {
      "{\"a\":\"\\uD83D\\uDE00\"}", // an escaped emoji: a high then a low surrogate
      "{\"a\":\"\\ud83d\\ude00 and \\uDBFF\\uDFFF\"}", // lower case, the last code point
      "{\"a\":\"\\\\ud800\"}", // an escaped backslash, then the letters ud800
      "{\"a\":\"\\uD7FF \\uE000 \\u0041\"}", // the neighbours of the surrogate range
      "{\"a\":\"\uD83D\uDE00\"}", // an emoji sent as UTF-8
    };
    for (String text : fine) {
      assertThat(text, reason(text), nullValue());
    }
    assertThat(
        StrictJsonParser.firstLoneSurrogateEscape("{\"a\":\"\\uD83D\\uDE00\"}".getBytes()),
        equalTo(-1));
  }

  @Test
  public void utf16WithoutBomIsNotAcceptedAsJson() {
    assertThat(reason("{}".getBytes(StandardCharsets.UTF_16BE)), equalTo(ReasonCode.NOT_JSON));
  }

  @Test
  public void detailsNameLocationsNotContent() {
    StrictJsonParser.Outcome dup =
        parser.parse("{\"ann@example.com\":1,\"ann@example.com\":2}".getBytes());
    assertThat(dup.reason, equalTo(ReasonCode.DUPLICATE_KEY));
    assertThat(dup.detail, not(containsString("ann@example.com")));
    assertThat(dup.detail, containsString("line 1"));
    StrictJsonParser.Outcome bad = parser.parse("{\"a\": secretword}".getBytes());
    assertThat(bad.reason, equalTo(ReasonCode.NOT_JSON));
    assertThat(bad.detail, not(containsString("secretword")));
  }

  /**
   * The one-pass byte scan agrees with byte-by-byte readings at every length and position (its word
   * loop and its tail): NUL and backslash by comparison, UTF-8 well-formedness by the JDK's strict
   * decoder.
   */
  @Test
  public void byteScanAgreesWithAByteByByteReading() throws Exception {
    byte[][] specials = {
      {0},
      {'\\'},
      {0x7f},
      {(byte) 0x80},
      {(byte) 0xc3},
      {(byte) 0xff},
      {(byte) 0xc3, (byte) 0xa9},
      {(byte) 0xc0, (byte) 0xaf},
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
      {(byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80},
      {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0xe2, (byte) 0x82}
    };
    for (int length = 0; length <= 19; length++) {
      for (int at = 0; at <= length; at++) {
        for (byte[] special : specials) {
          java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
          out.write("x".repeat(at).getBytes(StandardCharsets.US_ASCII));
          out.write(special);
          out.write("y".repeat(length - at).getBytes(StandardCharsets.US_ASCII));
          byte[] b = out.toByteArray();
          boolean utf8;
          try {
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(b));
            utf8 = true;
          } catch (java.nio.charset.CharacterCodingException e) {
            utf8 = false;
          }
          int flags = StrictJsonParser.scan(b);
          String what = length + "/" + at + "/" + java.util.Arrays.toString(special);
          assertThat(what, (flags & StrictJsonParser.INVALID_UTF8) != 0, equalTo(!utf8));
          if (utf8) {
            assertThat(what, (flags & StrictJsonParser.HAS_NUL) != 0, equalTo(special[0] == 0));
            assertThat(
                what, (flags & StrictJsonParser.HAS_BACKSLASH) != 0, equalTo(special[0] == '\\'));
          }
        }
      }
    }
  }

  /**
   * A duplicate key, nested or not, and any other failure after it, are reported with the strict
   * parser's reason and location (the column just after the repeated name, counted by hand)
   * although most records are read by the faster one.
   */
  @Test
  public void duplicateKeysKeepTheirReasonAndLocation() {
    String[][] cases = {
      {"{\"a\":1,\"a\":2}", "duplicate key at line 1 column 11"},
      {"{\"a\":1,\n\"b\":{\"c\":[1,{\"d\":1,\"d\":2}]}}", "duplicate key at line 2 column 23"},
      {"{\"a\":1,\"a\":{}}  x", "duplicate key at line 1 column 11"},
      {"{\"a\":{\"b\":1,\"b\":2} x", "duplicate key at line 1 column 16"},
    };
    for (String[] c : cases) {
      StrictJsonParser.Outcome o = parser.parse(c[0].getBytes(StandardCharsets.UTF_8));
      assertThat(c[0], o.reason, equalTo(ReasonCode.DUPLICATE_KEY));
      assertThat(c[0], o.detail, equalTo(c[1]));
    }
  }
}

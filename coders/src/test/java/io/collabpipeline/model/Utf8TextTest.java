package io.collabpipeline.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * {@link Utf8Text} behaves as the string it stands for: the oracle is {@link String} itself (its
 * {@code equals}, {@code hashCode}-independent equality and {@link String#getBytes} in UTF-8).
 */
@RunWith(JUnit4.class)
public class Utf8TextTest {

  private static final List<String> TEXTS =
      List.of(
          "",
          "{}",
          "{\"task_gid\":\"1300000000000042\"}",
          "Zoë – 東京 🚀",
          "{\"note\":\"é ✓\"}",
          "a".repeat(5_000));

  private static Utf8Text read(byte[] bytes, int length) throws IOException {
    return Utf8Text.read(new ByteArrayInputStream(bytes), length);
  }

  @Test
  public void aTextReadFromItsBytesIsTheTextOfItsString() throws IOException {
    for (String s : TEXTS) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      Utf8Text made = Utf8Text.of(s);
      Utf8Text readBack = read(utf8, utf8.length);
      assertThat(s, readBack.toString(), equalTo(s));
      assertThat(s, readBack, equalTo(made));
      assertThat(s, readBack.hashCode(), equalTo(made.hashCode()));
      assertThat(s, readBack.utf8Length(), equalTo(utf8.length));
      assertThat(s, Arrays.equals(made.toUtf8(), utf8), is(true));
      assertThat(s, made.isEmpty(), is(s.isEmpty()));
      byte[] copied = new byte[utf8.length + 3];
      readBack.copyTo(copied, 3);
      assertThat(s, Arrays.equals(Arrays.copyOfRange(copied, 3, copied.length), utf8), is(true));
    }
  }

  @Test
  public void textsAreEqualExactlyWhenTheirStringsAre() throws IOException {
    for (String a : TEXTS) {
      for (String b : TEXTS) {
        byte[] bBytes = b.getBytes(StandardCharsets.UTF_8);
        assertThat(
            a + " / " + b, Utf8Text.of(a).equals(read(bBytes, bBytes.length)), is(a.equals(b)));
      }
    }
  }

  @Test
  public void readingReadsOnlyItsLengthAndFailsOnAShortStream() throws IOException {
    byte[] bytes = "{}tail".getBytes(StandardCharsets.UTF_8);
    assertThat(read(bytes, 2).toString(), equalTo("{}"));
    assertThrows(EOFException.class, () -> read(bytes, bytes.length + 1));
    assertThrows(IOException.class, () -> read(bytes, -1));
  }

  @Test
  public void theCopyIsNotTheTextsOwnBytes() {
    Utf8Text text = Utf8Text.of("{}");
    byte[] copy = text.toUtf8();
    copy[0] = 'x';
    assertThat(text.toString(), equalTo("{}"));
    assertThat(Arrays.equals(text.toUtf8(), "{}".getBytes(StandardCharsets.UTF_8)), is(true));
  }
}

package io.collabpipeline.transforms;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.util.Arrays;
import org.junit.Test;

/** {@link ByteWords}: a search eight bytes at a time finds what a byte-by-byte one finds. */
public class ByteWordsTest {
  /** The word-wise search for a newline against a byte-by-byte one, at every start and end. */
  @Test
  public void theNewlineSearchFindsTheFirstNewlineBetweenAnyTwoOffsets() {
    java.util.Random random = new java.util.Random(5);
    byte[] values = {'\n', (byte) 0x8a, 0x0b, 0x00, (byte) 0xff, 'x', 0x0a ^ 0x01};
    for (int round = 0; round < 2_000; round++) {
      byte[] bytes = new byte[random.nextInt(40)];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = random.nextInt(6) == 0 ? values[random.nextInt(values.length)] : (byte) 'x';
      }
      for (int from = 0; from <= bytes.length; from++) {
        for (int to = from; to <= bytes.length; to++) {
          int expected = -1;
          for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
              expected = i;
              break;
            }
          }
          assertThat(
              Arrays.toString(bytes) + " [" + from + ", " + to + ")",
              ByteWords.indexOf(bytes, from, to, (byte) '\n'),
              is(expected));
        }
      }
    }
  }
}

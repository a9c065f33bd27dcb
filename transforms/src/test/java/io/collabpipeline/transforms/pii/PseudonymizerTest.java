package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Pseudonyms are truncated HMAC-SHA256: deterministic per key, different across keys. */
@RunWith(JUnit4.class)
public class PseudonymizerTest {

  /** RFC 4231 test case 2 (key "Jefe"), first 16 bytes of the MAC. */
  @Test
  public void matchesTheRfc4231TestVector() {
    Pseudonymizer p = new Pseudonymizer("Jefe".getBytes(StandardCharsets.UTF_8));
    assertThat(
        p.pseudonymize("what do ya want for nothing?"),
        equalTo("u_5bdcc146bf60754e6a042426089575c7"));
  }

  @Test
  public void isDeterministicForAKeyAndWellFormed() {
    Pseudonymizer a = new Pseudonymizer(KeyReference.dev().resolve());
    Pseudonymizer b = new Pseudonymizer(KeyReference.dev().resolve());
    assertThat(a.pseudonymize("12345"), equalTo(b.pseudonymize("12345")));
    assertThat(a.pseudonymize("12345"), matchesPattern("u_[0-9a-f]{32}"));
    assertThat(a.pseudonymize("12345"), not(equalTo(a.pseudonymize("12346"))));
  }

  @Test
  public void differsAcrossKeys() {
    Pseudonymizer dev = new Pseudonymizer(KeyReference.dev().resolve());
    Pseudonymizer other =
        new Pseudonymizer("another-key-another-key-another-key".getBytes(StandardCharsets.UTF_8));
    assertThat(dev.pseudonymize("12345"), not(equalTo(other.pseudonymize("12345"))));
  }

  /**
   * The memo of recent identifiers never returns another identifier's pseudonym: 20,000 ids (more
   * than its slots, so slots are shared and overwritten), asked twice in different orders, each
   * equal to HMAC-SHA256 computed here with the JDK.
   */
  @Test
  public void rememberedPseudonymsAreTheHmacOfTheirOwnIdentifier() throws Exception {
    byte[] key = KeyReference.dev().resolve();
    Pseudonymizer p = new Pseudonymizer(key);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 12_000; i++) {
        String id = Integer.toString(round == 0 ? i : 11_999 - i);
        byte[] digest = mac.doFinal(id.getBytes(StandardCharsets.UTF_8));
        String expected = "u_" + HexFormat.of().formatHex(digest, 0, 16);
        if (!p.pseudonymize(id).equals(expected)) {
          assertThat(id, p.pseudonymize(id), equalTo(expected));
        }
      }
    }
  }
}

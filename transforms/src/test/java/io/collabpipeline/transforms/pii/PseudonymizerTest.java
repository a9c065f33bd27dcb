package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.nio.charset.StandardCharsets;
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
}

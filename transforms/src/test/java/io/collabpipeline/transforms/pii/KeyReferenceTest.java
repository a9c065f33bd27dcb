package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Key references parse, print and serialize without the key, and explain in one line what is
 * missing.
 */
@RunWith(JUnit4.class)
public class KeyReferenceTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef-very-secret";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void parsesTheThreeForms() {
    assertThat(KeyReference.parse("env:COLLAB_KEY").kind(), equalTo(KeyReference.Kind.ENV));
    assertThat(KeyReference.parse("file:/run/secrets/key").kind(), equalTo(KeyReference.Kind.FILE));
    assertThat(KeyReference.parse("dev").kind(), equalTo(KeyReference.Kind.DEV));
    assertThat(KeyReference.parse("dev").isInsecure(), equalTo(true));
    assertThat(KeyReference.parse("env:COLLAB_KEY").toString(), equalTo("env:COLLAB_KEY"));
    assertThat(
        KeyReference.parse("file:/run/secrets/key").toString(), equalTo("file:/run/secrets/key"));
  }

  @Test
  public void rejectsOtherFormsInOneLine() {
    for (String bad :
        new String[] {"", "  ", "env:", "file:", "vault:x", "env:A-B", "raw:secret"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> KeyReference.parse(bad));
      assertThat(e.getMessage(), containsString("env:"));
      assertThat(e.getMessage(), not(containsString("\n")));
    }
  }

  @Test
  public void devKeyIsFixedAndLongEnough() {
    byte[] a = KeyReference.dev().resolve();
    byte[] b = KeyReference.parse("dev").resolve();
    assertArrayEquals(a, b);
    assertThat(a.length >= KeyReference.MIN_KEY_BYTES, equalTo(true));
  }

  @Test
  public void fileKeyIsReadAndTrimmedAndNeverPrinted() throws Exception {
    File f = tmp.newFile("key");
    Files.write(f.toPath(), (SECRET + "\n").getBytes(StandardCharsets.UTF_8));
    KeyReference ref = KeyReference.parse("file:" + f.getPath());
    assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), ref.resolve());
    assertThat(ref.toString(), not(containsString(SECRET)));
  }

  @Test
  public void serializesTheReferenceOnly() throws Exception {
    File f = tmp.newFile("key2");
    Files.write(f.toPath(), SECRET.getBytes(StandardCharsets.UTF_8));
    KeyReference ref = KeyReference.parse("file:" + f.getPath());
    ref.resolve();
    byte[] serialized = SerializableUtils.serializeToByteArray(ref);
    assertThat(new String(serialized, StandardCharsets.ISO_8859_1), not(containsString(SECRET)));
    assertThat(SerializableUtils.ensureSerializable(ref), equalTo(ref));
  }

  @Test
  public void missingFileSaysWhatAndHow() {
    PseudonymKeyException e =
        assertThrows(
            PseudonymKeyException.class,
            () -> KeyReference.parse("file:/nonexistent/collab/key").resolve());
    assertThat(e.getMessage(), containsString("/nonexistent/collab/key does not exist"));
    assertThat(e.getMessage(), containsString("openssl rand"));
    assertThat(e.getMessage(), not(containsString("\n")));
  }

  @Test
  public void unsetEnvironmentVariableSaysWhatAndHow() {
    PseudonymKeyException e =
        assertThrows(
            PseudonymKeyException.class,
            () -> KeyReference.parse("env:COLLAB_TEST_SURELY_UNSET_KEY_4711").resolve());
    assertThat(e.getMessage(), containsString("COLLAB_TEST_SURELY_UNSET_KEY_4711 is not set"));
    assertThat(e.getMessage(), containsString("export COLLAB_TEST_SURELY_UNSET_KEY_4711="));
    assertThat(e.getMessage(), not(containsString("\n")));
  }

  @Test
  public void tooShortKeyIsRejectedWithoutPrintingIt() throws Exception {
    File f = tmp.newFile("short");
    Files.write(f.toPath(), "hunter2".getBytes(StandardCharsets.UTF_8));
    PseudonymKeyException e =
        assertThrows(
            PseudonymKeyException.class, () -> KeyReference.parse("file:" + f.getPath()).resolve());
    assertThat(e.getMessage(), containsString("7 bytes, shorter than the required 32"));
    assertThat(e.getMessage(), not(containsString("hunter2")));
  }
}

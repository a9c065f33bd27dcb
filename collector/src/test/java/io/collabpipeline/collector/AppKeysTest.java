package io.collabpipeline.collector;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** App keys are references only, are never echoed, and identify their app. */
@RunWith(JUnit4.class)
public class AppKeysTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void keysByFileReferenceIdentifyTheirApps() throws Exception {
    Path web = tmp.newFile("web").toPath();
    Path ios = tmp.newFile("ios").toPath();
    Files.writeString(web, "web-key-0123456789abcdef\n");
    Files.writeString(ios, "ios-key-0123456789abcdef");
    AppKeys keys = AppKeys.resolve("web=file:" + web + ",ios=file:" + ios);
    assertThat(keys.appOf("web-key-0123456789abcdef"), equalTo(Optional.of("web")));
    assertThat(keys.appOf("ios-key-0123456789abcdef"), equalTo(Optional.of("ios")));
    assertThat(keys.appOf("ios-key-0123456789abcdeX"), equalTo(Optional.empty()));
    assertThat(keys.appOf(null), equalTo(Optional.empty()));
  }

  @Test
  public void aKeyGivenAsItsValueIsRefusedWithoutEchoingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AppKeys.resolve("web=s3cr3t-value-0123456789"));
    assertThat(e.getMessage(), not(containsString("s3cr3t")));
    assertThat(e.getMessage(), containsString("env:VAR or file:/path"));
  }

  @Test
  public void missingShortAndMalformedKeysAreOneLineErrors() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> AppKeys.resolve(""));
    assertThrows(
        IllegalArgumentException.class,
        () -> AppKeys.resolve("web=env:COLLAB_TEST_SURELY_UNSET_VARIABLE_123"));
    Path shortKey = tmp.newFile("short").toPath();
    Files.writeString(shortKey, "short");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AppKeys.resolve("web=file:" + shortKey));
    assertThat(e.getMessage(), containsString("shorter than"));
    assertThrows(IllegalArgumentException.class, () -> AppKeys.resolve("noequals"));
  }
}

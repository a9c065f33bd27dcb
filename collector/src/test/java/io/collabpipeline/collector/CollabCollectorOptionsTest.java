package io.collabpipeline.collector;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** {@code bin/collab-collector}'s options: parsed as given, a mistake named on one line. */
@RunWith(JUnit4.class)
public class CollabCollectorOptionsTest {

  @Test
  public void optionsAreTakenAsGiven() {
    assertThat(
        CollabCollector.parse(new String[] {"--port=8080", "--topic=events"}),
        equalTo(Map.of("port", "8080", "topic", "events")));
  }

  @Test
  public void anUnknownOptionIsNamedWithEveryOptionThereIs() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CollabCollector.parse(new String[] {"--prot=8080"}));
    assertThat(
        e.getMessage(),
        equalTo(
            "unknown option --prot (options: --ackTimeoutSeconds, --allowDevKey, --appKeys,"
                + " --bootstrapServers, --host, --maxBodyBytes, --maxEventsPerBatch, --port,"
                + " --pseudonymKey, --quarantineTopic, --rateLimit, --topic, --userKeyStore)"));
  }

  @Test
  public void aBareArgumentIsNotEchoed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CollabCollector.parse(new String[] {"secret-app-key"}));
    assertThat(
        e.getMessage(),
        equalTo("options are --name=value; got an argument that is not (its text is not shown)"));
  }
}

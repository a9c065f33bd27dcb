package io.collabpipeline.monitoring.asana;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Issue 9, point 8, against a local stand-in of the Asana REST calls: Alertmanager's webhook
 * payloads (version 4) posted to the receiver over HTTP open one task per firing page, in the
 * incident project and the release lock project; a repeated notification opens none; a restarted
 * receiver finds the task again by the alert's fingerprint and completes it when the alert
 * resolves, which releases the lock; tickets open nothing; a 429 is retried; and the receiver is
 * off unless its token is given by reference.
 */
public class AsanaIncidentReceiverTest {
  static final String TOKEN = "0/standin-token";
  static final String INCIDENTS = "1100";
  static final String LOCK = "1200";

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void aPageOpensOneLockingTaskThatTheResolutionCompletes() throws Exception {
    Path token = tmp.newFile("asana-token").toPath();
    Files.writeString(token, TOKEN + "\n");
    try (AsanaStandIn asana = new AsanaStandIn(TOKEN)) {
      AsanaIncidentReceiver.Options options = options(asana, "file:" + token);
      try (AsanaIncidentReceiver receiver = AsanaIncidentReceiver.start(options, System.err)) {
        asana.throttleNext = true; // the first call meets Asana's rate limit
        assertThat(post(receiver, payload("firing", "page", "fp-1")), is(200));
        assertThat(asana.incomplete(INCIDENTS), hasSize(1));
        AsanaStandIn.Task task = asana.incomplete(INCIDENTS).get(0);
        assertThat(
            task.name,
            is(
                "[page] CollabCompletenessGap: Closed hours whose completeness counts do not add up"));
        assertThat(task.notes, containsString("Runbook: docs/runbooks/CollabCompletenessGap.md"));
        assertThat(task.notes, containsString("alertmanager-fingerprint: fp-1"));
        assertThat(task.projects, contains(INCIDENTS, LOCK));
        // Alertmanager repeats a firing notification: still one task.
        assertThat(post(receiver, payload("firing", "page", "fp-1")), is(200));
        // A ticket is not an incident.
        assertThat(post(receiver, payload("firing", "ticket", "fp-2")), is(200));
        assertThat(asana.tasks.values(), hasSize(1));
      }
      // A new receiver (a restart: nothing in memory) resolves the task it finds by fingerprint.
      try (AsanaIncidentReceiver receiver = AsanaIncidentReceiver.start(options, System.err)) {
        assertThat(post(receiver, payload("resolved", "page", "fp-1")), is(200));
      }
      assertThat(asana.incomplete(INCIDENTS), is(empty()));
      assertThat(asana.incomplete(LOCK), is(empty()));
      assertThat(asana.tasks.values(), hasSize(1));
    }
  }

  @Test
  public void aWrongTokenMakesAlertmanagerRetry() throws Exception {
    Path token = tmp.newFile("wrong-token").toPath();
    Files.writeString(token, "0/wrong");
    try (AsanaStandIn asana = new AsanaStandIn(TOKEN);
        AsanaIncidentReceiver receiver =
            AsanaIncidentReceiver.start(options(asana, "file:" + token), System.err)) {
      assertThat(post(receiver, payload("firing", "page", "fp-3")), is(500));
      assertThat(asana.tasks.values(), is(empty()));
    }
  }

  @Test
  public void theReceiverIsOffWithoutATokenReferenceAndRefusesALiteralToken() throws Exception {
    try (AsanaStandIn asana = new AsanaStandIn(TOKEN)) {
      IllegalArgumentException none =
          assertThrows(
              IllegalArgumentException.class,
              () -> AsanaIncidentReceiver.start(options(asana, null), System.err));
      assertThat(none.getMessage(), containsString("--asanaToken is required"));
      IllegalArgumentException literal =
          assertThrows(
              IllegalArgumentException.class,
              () -> AsanaIncidentReceiver.start(options(asana, TOKEN), System.err));
      assertThat(literal.getMessage(), containsString("must be a reference"));
      assertThat(literal.getMessage().contains(TOKEN), is(false));
    }
  }

  @Test
  public void aPortOutOfRangeIsNamed() throws Exception {
    Path token = tmp.newFile("token-port").toPath();
    Files.writeString(token, TOKEN);
    try (AsanaStandIn asana = new AsanaStandIn(TOKEN)) {
      AsanaIncidentReceiver.Options o = options(asana, "file:" + token);
      o.setPort(70000);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> AsanaIncidentReceiver.start(o, System.err));
      assertThat(e.getMessage(), is("--port must be 0..65535, got 70000"));
    }
  }

  private static AsanaIncidentReceiver.Options options(AsanaStandIn asana, String token) {
    AsanaIncidentReceiver.Options o =
        PipelineOptionsFactory.fromArgs(
                "--port=0",
                "--asanaProject=" + INCIDENTS,
                "--asanaLockProject=" + LOCK,
                "--asanaBaseUrl=" + asana.baseUrl())
            .as(AsanaIncidentReceiver.Options.class);
    o.setAsanaToken(token);
    return o;
  }

  /** Alertmanager's webhook payload (version 4) with one alert. */
  private static String payload(String status, String severity, String fingerprint) {
    return "{\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"CollabCompletenessGap\\\"}\","
        + "\"status\":\""
        + status
        + "\",\"receiver\":\"asana\",\"groupLabels\":{\"alertname\":\"CollabCompletenessGap\"},"
        + "\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"http://127.0.0.1:9093\","
        + "\"alerts\":[{\"status\":\""
        + status
        + "\",\"labels\":{\"alertname\":\"CollabCompletenessGap\",\"severity\":\""
        + severity
        + "\"},\"annotations\":{\"summary\":\"Closed hours whose completeness counts do not add"
        + " up\",\"runbook_url\":\"docs/runbooks/CollabCompletenessGap.md\"},"
        + "\"startsAt\":\"2026-12-01T10:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
        + "\"generatorURL\":\"http://127.0.0.1:9090/graph\",\"fingerprint\":\""
        + fingerprint
        + "\"}]}";
  }

  private static int post(AsanaIncidentReceiver receiver, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + receiver.port() + "/alertmanager"))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }
}

package io.collabpipeline.monitoring.asana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.pipelines.launch.CommandLine;
import io.collabpipeline.pipelines.warehouse.snowflake.SecretReference;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@code bin/collab-asana-receiver}: an Alertmanager webhook receiver that turns pages into Asana
 * tasks, the product's own incident practice. For every alert with {@code severity="page"} that
 * fires it creates one task in the incident project (and, with {@code --asanaLockProject}, in the
 * "Lock Production Release" project the deploy gate checks, so deploys hold while it is open); when
 * Alertmanager reports it resolved it completes that task. A task is found again by the alert's
 * fingerprint in its notes (the receiver's memory first, then the project's incomplete tasks), so a
 * repeated notification or a restarted receiver never opens a second task for the same alert.
 *
 * <p>Off unless a token is given by reference ({@code --asanaToken=env:VAR} or {@code file:/path});
 * a literal token is refused. Tickets ({@code severity="ticket"}) are left to Alertmanager's other
 * receivers.
 */
public final class AsanaIncidentReceiver implements AutoCloseable {
  /** Options of the receiver. */
  public interface Options extends PipelineOptions {
    @Description("Loopback or interface address for Alertmanager's webhook.")
    @Default.String("127.0.0.1")
    String getBindAddress();

    void setBindAddress(String value);

    @Description("Port of the webhook (0: a free one, printed on start).")
    @Default.Integer(9465)
    int getPort();

    void setPort(int value);

    @Description("Asana personal access token by reference: env:VAR or file:/path. Required.")
    String getAsanaToken();

    void setAsanaToken(String value);

    @Description("Gid of the Asana project incidents are opened in. Required.")
    String getAsanaProject();

    void setAsanaProject(String value);

    @Description(
        "Gid of the 'Lock Production Release' project: pages are also placed there (optional).")
    String getAsanaLockProject();

    void setAsanaLockProject(String value);

    @Description("Asana's REST base URL (a local stand-in in tests).")
    @Default.String("https://app.asana.com/api/1.0")
    String getAsanaBaseUrl();

    void setAsanaBaseUrl(String value);
  }

  static final String FINGERPRINT_MARKER = "alertmanager-fingerprint: ";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final AsanaClient asana;
  private final String project;
  private final List<String> projects;
  private final PrintStream log;
  private final Map<String, String> open = new ConcurrentHashMap<>();

  private AsanaIncidentReceiver(Options options, PrintStream log) throws IOException {
    String token = options.getAsanaToken();
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException(
          "--asanaToken is required (env:VAR or file:/path): without it the receiver is off");
    }
    if (!SecretReference.isReference(token)) {
      throw new IllegalArgumentException(
          "--asanaToken must be a reference (env:VAR or file:/path), never the token itself");
    }
    if (options.getAsanaProject() == null || options.getAsanaProject().isEmpty()) {
      throw new IllegalArgumentException("--asanaProject (the incident project's gid) is required");
    }
    if (options.getPort() < 0 || options.getPort() > 65535) {
      throw new IllegalArgumentException("--port must be 0..65535, got " + options.getPort());
    }
    SecretReference reference = SecretReference.of(token);
    this.asana = new AsanaClient(options.getAsanaBaseUrl(), reference::get);
    this.project = options.getAsanaProject();
    List<String> all = new ArrayList<>(List.of(project));
    if (options.getAsanaLockProject() != null && !options.getAsanaLockProject().isEmpty()) {
      all.add(options.getAsanaLockProject());
    }
    this.projects = List.copyOf(all);
    this.log = log;
    this.server =
        HttpServer.create(new InetSocketAddress(options.getBindAddress(), options.getPort()), 0);
    server.createContext("/alertmanager", this::handle);
    server.setExecutor(Executors.newSingleThreadExecutor());
  }

  public static AsanaIncidentReceiver start(Options options, PrintStream log) throws IOException {
    AsanaIncidentReceiver receiver = new AsanaIncidentReceiver(options, log);
    receiver.server.start();
    return receiver;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    int status = 200;
    String reply = "ok\n";
    try {
      if (!"POST".equals(exchange.getRequestMethod())) {
        status = 405;
        reply = "POST Alertmanager's webhook payload\n";
      } else {
        onNotification(JSON.readTree(exchange.getRequestBody()));
      }
    } catch (IOException | RuntimeException e) {
      // 500 makes Alertmanager retry the notification; the cause, one line, never the token.
      status = 500;
      reply = CommandLine.firstLine(CommandLine.rootMessage(e)) + "\n";
      log.println("collab-asana-receiver: " + reply.trim());
    }
    byte[] body = reply.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(body);
    }
  }

  /** One Alertmanager notification (webhook payload version 4). */
  void onNotification(JsonNode payload) throws IOException {
    for (JsonNode alert : payload.path("alerts")) {
      JsonNode labels = alert.path("labels");
      if (!"page".equals(labels.path("severity").asText())) {
        continue;
      }
      String fingerprint = alert.path("fingerprint").asText();
      if (fingerprint.isEmpty()) {
        throw new IOException("an alert without a fingerprint");
      }
      String marker = FINGERPRINT_MARKER + fingerprint;
      Optional<String> task =
          open.containsKey(fingerprint)
              ? Optional.of(open.get(fingerprint))
              : asana.findIncomplete(project, marker);
      if ("firing".equals(alert.path("status").asText())) {
        if (task.isPresent()) {
          open.put(fingerprint, task.get());
          continue;
        }
        String name = labels.path("alertname").asText();
        String gid = asana.createTask(taskName(alert), notes(alert, marker), projects);
        open.put(fingerprint, gid);
        log.println("collab-asana-receiver: opened task " + gid + " for " + name);
      } else if ("resolved".equals(alert.path("status").asText()) && task.isPresent()) {
        asana.complete(task.get());
        open.remove(fingerprint);
        log.println("collab-asana-receiver: completed task " + task.get());
      }
    }
  }

  private static String taskName(JsonNode alert) {
    String summary = alert.path("annotations").path("summary").asText();
    return "[page] "
        + alert.path("labels").path("alertname").asText()
        + (summary.isEmpty() ? "" : ": " + summary);
  }

  private static String notes(JsonNode alert, String marker) {
    StringBuilder notes = new StringBuilder();
    notes.append(alert.path("annotations").path("description").asText("")).append("\n\n");
    notes
        .append("Runbook: ")
        .append(alert.path("annotations").path("runbook_url").asText(""))
        .append('\n');
    notes.append("Started: ").append(alert.path("startsAt").asText("")).append('\n');
    notes.append("Labels: ").append(alert.path("labels").toString()).append('\n');
    notes.append(marker).append('\n');
    return notes.toString();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  public static void main(String[] args) throws Exception {
    AsanaIncidentReceiver receiver;
    Options options;
    try {
      options = CommandLine.parse(args, Options.class);
      receiver = start(options, System.err);
    } catch (UsageException | IllegalArgumentException e) {
      // Our own one-line messages, which name the option: no exception class in front of them.
      System.err.println("collab-asana-receiver: " + CommandLine.firstLine(e.getMessage()));
      System.exit(2);
      return;
    } catch (IOException e) {
      System.err.println(
          "collab-asana-receiver: " + CommandLine.firstLine(CommandLine.rootMessage(e)));
      System.exit(2);
      return;
    }
    System.out.println(
        "collab-asana-receiver: Alertmanager webhook at http://"
            + options.getBindAddress()
            + ":"
            + receiver.port()
            + "/alertmanager");
    Runtime.getRuntime().addShutdownHook(new Thread(receiver::close));
    Thread.currentThread().join();
  }
}

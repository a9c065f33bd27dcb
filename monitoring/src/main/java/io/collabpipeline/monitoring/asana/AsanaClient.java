package io.collabpipeline.monitoring.asana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The three Asana REST calls the receiver needs: create a task in projects, list a project's
 * incomplete tasks ({@code completed_since=now}), complete a task. The token is read from its
 * reference on each call and sent as a bearer token; it is never logged. A 429 is retried once
 * after its {@code Retry-After} (at most 60 s).
 */
final class AsanaClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final Supplier<String> token;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  AsanaClient(String baseUrl, Supplier<String> token) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.token = token;
  }

  /** Creates a task in {@code projects}; returns its gid. */
  String createTask(String name, String notes, List<String> projects) throws IOException {
    ObjectNode data = JSON.createObjectNode();
    data.put("name", name);
    data.put("notes", notes);
    projects.forEach(data.putArray("projects")::add);
    ObjectNode body = JSON.createObjectNode();
    body.set("data", data);
    return send("POST", "/tasks", body).path("data").path("gid").asText();
  }

  /** The gid of an incomplete task of {@code project} whose notes contain {@code marker}. */
  Optional<String> findIncomplete(String project, String marker) throws IOException {
    JsonNode tasks =
        send(
            "GET",
            "/projects/"
                + URLEncoder.encode(project, StandardCharsets.UTF_8)
                + "/tasks?completed_since=now&opt_fields=name,notes&limit=100",
            null);
    for (JsonNode t : tasks.path("data")) {
      if (t.path("notes").asText().contains(marker)) {
        return Optional.of(t.path("gid").asText());
      }
    }
    return Optional.empty();
  }

  void complete(String taskGid) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("data").put("completed", true);
    send("PUT", "/tasks/" + URLEncoder.encode(taskGid, StandardCharsets.UTF_8), body);
  }

  private JsonNode send(String method, String path, JsonNode body) throws IOException {
    for (int attempt = 1; ; attempt++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(baseUrl + path))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + token.get())
              .header("Accept", "application/json");
      if (body == null) {
        request.GET();
      } else {
        request
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
      }
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      if (response.statusCode() == 429 && attempt == 1) {
        long wait = Math.min(60, response.headers().firstValueAsLong("Retry-After").orElse(1L));
        try {
          Thread.sleep(wait * 1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
        continue;
      }
      if (response.statusCode() / 100 != 2) {
        // Asana's error messages name the problem, not the token.
        throw new IOException(
            "Asana "
                + method
                + " "
                + path.replaceAll("\\?.*", "")
                + ": HTTP "
                + response.statusCode());
      }
      return JSON.readTree(response.body());
    }
  }
}

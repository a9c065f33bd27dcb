package io.collabpipeline.monitoring.asana;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in of the Asana REST calls the receiver makes (create a task in projects, list a
 * project's incomplete tasks with {@code completed_since=now}, complete a task), answering as Asana
 * does ({@code {"data": ...}}), refusing a wrong bearer token with 401, and answering the first
 * request with 429 and {@code Retry-After: 1} when asked to.
 */
final class AsanaStandIn implements AutoCloseable {
  static final class Task {
    final String gid;
    final String name;
    final String notes;
    final List<String> projects;
    boolean completed;

    Task(String gid, String name, String notes, List<String> projects) {
      this.gid = gid;
      this.name = name;
      this.notes = notes;
      this.projects = projects;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  final Map<String, Task> tasks = new LinkedHashMap<>();
  final AtomicInteger requests = new AtomicInteger();
  volatile boolean throttleNext;
  private final String token;
  private final HttpServer server;

  AsanaStandIn(String token) throws IOException {
    this.token = token;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/1.0/", this::handle);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/1.0";
  }

  synchronized List<Task> incomplete(String project) {
    List<Task> out = new ArrayList<>();
    for (Task t : tasks.values()) {
      if (!t.completed && t.projects.contains(project)) {
        out.add(t);
      }
    }
    return out;
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    if (throttleNext) {
      throttleNext = false;
      ex.getResponseHeaders().add("Retry-After", "1");
      reply(ex, 429, "{\"errors\":[{\"message\":\"rate limited\"}]}");
      return;
    }
    if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      reply(ex, 401, "{\"errors\":[{\"message\":\"Not Authorized\"}]}");
      return;
    }
    String path = ex.getRequestURI().getPath().substring("/api/1.0".length());
    String method = ex.getRequestMethod();
    ObjectNode out = JSON.createObjectNode();
    if (method.equals("POST") && path.equals("/tasks")) {
      JsonNode data = JSON.readTree(ex.getRequestBody()).path("data");
      List<String> projects = new ArrayList<>();
      data.path("projects").forEach(p -> projects.add(p.asText()));
      String gid = Long.toString(1_200_000_000_000L + tasks.size());
      tasks.put(
          gid, new Task(gid, data.path("name").asText(), data.path("notes").asText(), projects));
      out.putObject("data").put("gid", gid).put("name", data.path("name").asText());
      reply(ex, 201, out.toString());
    } else if (method.equals("GET") && path.matches("/projects/[^/]+/tasks")) {
      if (!"completed_since=now&opt_fields=name,notes&limit=100"
          .equals(ex.getRequestURI().getQuery())) {
        reply(ex, 400, "{\"errors\":[{\"message\":\"unexpected query\"}]}");
        return;
      }
      ArrayNode data = out.putArray("data");
      for (Task t : incomplete(path.split("/")[2])) {
        data.addObject().put("gid", t.gid).put("name", t.name).put("notes", t.notes);
      }
      reply(ex, 200, out.toString());
    } else if (method.equals("PUT") && path.startsWith("/tasks/")) {
      Task t = tasks.get(path.substring("/tasks/".length()));
      if (t == null) {
        reply(ex, 404, "{\"errors\":[{\"message\":\"Unknown object\"}]}");
        return;
      }
      t.completed = JSON.readTree(ex.getRequestBody()).path("data").path("completed").asBoolean();
      out.putObject("data").put("gid", t.gid).put("completed", t.completed);
      reply(ex, 200, out.toString());
    } else {
      reply(ex, 404, "{\"errors\":[{\"message\":\"no route\"}]}");
    }
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

package io.collabpipeline.schemas;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Build gates over the shipped contract: every property is classified, every version is compatible
 * with the one before it, and the registered types are exactly those of the brief.
 */
@RunWith(JUnit4.class)
public class ShippedSchemasTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> BRIEF_TYPES =
      Arrays.asList(
          "task.created",
          "task.updated",
          "task.completed",
          "task.deleted",
          "comment.added",
          "comment.edited",
          "comment.deleted",
          "project.member_added",
          "project.member_removed",
          "notification.sent",
          "workspace.user_joined",
          "workspace.user_left",
          "user.erasure_requested");

  private final EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();

  @Test
  public void registersExactlyTheThirteenTypesOfTheBrief() {
    assertThat(registry.eventTypes(), equalTo(new TreeSet<>(BRIEF_TYPES)));
    assertThat(registry.versions("task.updated"), contains(1, 2));
  }

  /**
   * Walks the raw schema files (not the registry's model) so an unclassified property fails here on
   * its own.
   */
  @Test
  public void everyPropertyOfEveryShippedSchemaHasAValidPrivacyClass() throws Exception {
    List<String> problems = new ArrayList<>();
    String base = EventSchemaRegistry.DEFAULT_BASE;
    checkClassified(readResource(base + "/envelope/v1.json"), "envelope", "", problems);
    int schemas = 1;
    for (String type : registry.eventTypes()) {
      for (int v : registry.versions(type)) {
        checkClassified(
            readResource(EventSchemaRegistry.payloadPath(base, type, v)),
            type + " v" + v,
            "",
            problems);
        schemas++;
      }
    }
    assertThat(problems, empty());
    assertThat(schemas, equalTo(15));
  }

  @Test
  public void everyShippedVersionIsCompatibleWithThePreviousOne() {
    List<String> violations = new ArrayList<>();
    int pairs = 0;
    for (String type : registry.eventTypes()) {
      SortedSet<Integer> versions = registry.versions(type);
      Integer previous = null;
      for (int v : versions) {
        if (previous != null) {
          assertThat(type + ": versions must be consecutive", v, equalTo(previous + 1));
          for (SchemaCompatibility.Violation x :
              SchemaCompatibility.check(
                  registry.payloadSchema(type, previous), registry.payloadSchema(type, v))) {
            violations.add(type + " v" + previous + " -> v" + v + ": " + x);
          }
          pairs++;
        }
        previous = v;
      }
    }
    assertThat(violations, empty());
    assertThat("task.updated v1 -> v2 is checked", pairs >= 1, equalTo(true));
  }

  @Test
  public void aTaskUpdatedV1PayloadValidatesAgainstV2() throws Exception {
    JsonNode v1 =
        MAPPER.readTree(
            "{\"task_gid\":\"12\",\"project_gids\":[\"3\",\"4\"],\"changed_fields\":[\"due_on\"]}");
    assertThat(registry.validatePayload("task.updated", 1, v1), empty());
    assertThat(registry.validatePayload("task.updated", 2, v1), empty());
    JsonNode v2 =
        MAPPER.readTree(
            "{\"task_gid\":\"12\",\"project_gids\":[],\"changed_fields\":[],\"custom_field_gids\":[\"77\"]}");
    assertThat(registry.validatePayload("task.updated", 2, v2), empty());
  }

  private static void checkClassified(
      JsonNode schema, String where, String at, List<String> problems) {
    JsonNode props = schema.get("properties");
    if (props != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = at + "/properties/" + e.getKey();
        JsonNode privacy = e.getValue().get(PrivacyClass.KEYWORD);
        if (privacy == null || !privacy.isTextual()) {
          problems.add(where + " " + p + ": no x-privacy");
        } else {
          try {
            PrivacyClass.fromKeyword(privacy.asText());
          } catch (IllegalArgumentException ex) {
            problems.add(where + " " + p + ": " + ex.getMessage());
          }
        }
        for (JsonNode d : e.getValue().path(DerivedFact.KEYWORD)) {
          try {
            DerivedFact.fromKeyword(d.asText());
          } catch (IllegalArgumentException ex) {
            problems.add(where + " " + p + ": " + ex.getMessage());
          }
        }
        checkClassified(e.getValue(), where, p, problems);
      }
    }
    JsonNode items = schema.get("items");
    if (items != null && items.isObject()) {
      checkClassified(items, where, at + "/items", problems);
    }
  }

  private static JsonNode readResource(String path) throws Exception {
    try (InputStream in = ShippedSchemasTest.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        fail("missing resource " + path);
      }
      return MAPPER.readTree(in);
    }
  }
}

package io.collabpipeline.transforms.pii;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.collabpipeline.schemas.EventSchemaRegistry;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The minimizer applies each privacy class and writes canonical JSON. */
@RunWith(JUnit4.class)
public class PayloadMinimizerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final EventSchemaRegistry registry = EventSchemaRegistry.loadDefault();
  private final Pseudonymizer pseudonymizer = new Pseudonymizer(KeyReference.dev().resolve());
  private final PayloadMinimizer minimizer = new PayloadMinimizer(pseudonymizer, MAPPER);

  private PayloadMinimizer.Result minimize(String type, int version, String json) throws Exception {
    JsonNode payload = MAPPER.readTree(json);
    return minimizer.minimize(payload, registry.payloadClassification(type, version));
  }

  @Test
  public void commentTextIsReplacedByItsLengthAndMentionsArePseudonymized() throws Exception {
    PayloadMinimizer.Result r =
        minimize(
            "comment.added",
            1,
            "{\"text\":\"h\u00e9llo \uD83D\uDE00\",\"task_gid\":\"7\",\"mentioned_user_gids\":[\"43\",\"44\"]}");
    assertThat(
        r.json(),
        equalTo(
            "{\"mentioned_user_gids\":[\""
                + pseudonymizer.pseudonymize("43")
                + "\",\""
                + pseudonymizer.pseudonymize("44")
                + "\"],\"mentioned_user_gids_count\":2,\"task_gid\":\"7\","
                + "\"text_length\":7}"));
    assertThat(r.unknownFieldsDropped(), equalTo(0));
  }

  @Test
  public void unknownFieldsAreDroppedAndCounted() throws Exception {
    PayloadMinimizer.Result r =
        minimize(
            "task.completed",
            1,
            "{\"task_gid\":\"7\",\"project_gids\":[\"1\"],\"assignee_email\":\"a@b.c\",\"extra\":{\"x\":1}}");
    assertThat(r.json(), equalTo("{\"project_gids\":[\"1\"],\"task_gid\":\"7\"}"));
    assertThat(r.unknownFieldsDropped(), equalTo(2));
  }

  @Test
  public void taskNameIsFreeTextAndAssigneeIsAnIdentifier() throws Exception {
    PayloadMinimizer.Result r =
        minimize(
            "task.created",
            1,
            "{\"task_gid\":\"7\",\"project_gids\":[],\"name\":\"Fire Bob\",\"assignee_gid\":\"99\","
                + "\"due_on\":\"2026-12-01\"}");
    assertThat(
        r.json(),
        equalTo(
            "{\"assignee_gid\":\""
                + pseudonymizer.pseudonymize("99")
                + "\",\"due_on\":\"2026-12-01\","
                + "\"name_length\":8,\"project_gids\":[],\"task_gid\":\"7\"}"));
  }
}

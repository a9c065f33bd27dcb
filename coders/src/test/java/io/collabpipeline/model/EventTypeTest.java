package io.collabpipeline.model;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

import io.collabpipeline.schemas.EventSchemaRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * The event types: the same set as the schema registry, lookups that never throw, the brief's
 * metric definitions.
 */
@RunWith(JUnit4.class)
public class EventTypeTest {

  /** The list of contract 1, in its order. */
  private static final List<String> CONTRACT_TYPES =
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

  @Test
  public void theEnumAndTheSchemaRegistryNameTheSameTypes() {
    Set<String> enumTypes =
        Arrays.stream(EventType.values())
            .map(EventType::wireName)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(enumTypes, is(EventSchemaRegistry.loadDefault().eventTypes()));
  }

  @Test
  public void theConstantsAreTheContractListInItsOrder() {
    assertThat(
        Arrays.stream(EventType.values()).map(EventType::wireName).collect(Collectors.toList()),
        is(CONTRACT_TYPES));
  }

  @Test
  public void everyWireNameLooksUpItsType() {
    for (EventType type : EventType.values()) {
      assertThat(EventType.fromWireName(type.wireName()), is(Optional.of(type)));
      assertThat(EventType.forWireNameOrNull(type.wireName()), is(type));
    }
  }

  @Test
  public void unknownNamesAreNotFoundAndNeverThrow() {
    for (String name :
        new String[] {
          "task.archived",
          "TASK.UPDATED",
          "Task.updated",
          "TASK_UPDATED",
          " task.updated",
          "",
          "task"
        }) {
      assertThat(name, EventType.fromWireName(name), is(Optional.empty()));
      assertThat(name, EventType.forWireNameOrNull(name), is(nullValue()));
    }
    assertThat(EventType.fromWireName(null), is(Optional.empty()));
    assertThat(EventType.forWireNameOrNull(null), is(nullValue()));
  }

  @Test
  public void editorsAreTheActorsOfTheBriefsTypes() {
    assertThat(
        named(EventType::countsAsEditor),
        is(
            new TreeSet<>(
                Arrays.asList(
                    "task.created",
                    "task.updated",
                    "task.completed",
                    "comment.added",
                    "comment.edited",
                    "project.member_added",
                    "project.member_removed"))));
  }

  @Test
  public void taskEventsAreTheTaskStarTypes() {
    assertThat(
        named(EventType::isTaskEvent),
        is(
            new TreeSet<>(
                Arrays.asList("task.created", "task.updated", "task.completed", "task.deleted"))));
    Set<String> taskStar =
        CONTRACT_TYPES.stream()
            .filter(t -> t.startsWith("task."))
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(named(EventType::isTaskEvent), is(taskStar));
  }

  @Test
  public void onlyTaskCompletedCompletesATaskAndOnlyNotificationSentIsANotification() {
    assertThat(named(EventType::completesTask), is(new TreeSet<>(Arrays.asList("task.completed"))));
    assertThat(
        named(EventType::isNotification), is(new TreeSet<>(Arrays.asList("notification.sent"))));
  }

  private static Set<String> named(Predicate<EventType> property) {
    return Arrays.stream(EventType.values())
        .filter(property)
        .map(EventType::wireName)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}

package io.collabpipeline.transforms.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.CollabEvent;
import io.collabpipeline.model.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/**
 * Which events each metric selects, by event type: the string sets {@link ComputeMetrics} used
 * before it read the properties of {@link EventType}, written out here, must give the same answer
 * for every registered type and for names that are not registered.
 */
@RunWith(JUnit4.class)
public class MetricSelectionTest {

  private static final Set<String> EDITOR_TYPES =
      new HashSet<>(
          Arrays.asList(
              "task.created",
              "task.updated",
              "task.completed",
              "comment.added",
              "comment.edited",
              "project.member_added",
              "project.member_removed"));
  private static final Set<String> TASK_TYPES =
      new HashSet<>(
          Arrays.asList("task.created", "task.updated", "task.completed", "task.deleted"));

  private static List<String> names() {
    List<String> names = new ArrayList<>();
    for (EventType type : EventType.values()) {
      names.add(type.wireName());
    }
    names.addAll(
        Arrays.asList(
            "task.archived", "TASK.COMPLETED", "NOTIFICATION_SENT", "notification.sent ", ""));
    return names;
  }

  @Test
  public void selectionByEventTypeIsTheBriefsDefinition() {
    for (String name : names()) {
      CollabEvent e = TestEvents.event("evt-00000001", name, 0L, 0L).build();
      assertThat(name, ComputeMetrics.isEditorEvent(e), is(EDITOR_TYPES.contains(name)));
      assertThat(name, ComputeMetrics.isTaskEvent(e), is(TASK_TYPES.contains(name)));
      assertThat(name, ComputeMetrics.completesTask(e), is("task.completed".equals(name)));
      assertThat(name, ComputeMetrics.isNotification(e), is("notification.sent".equals(name)));
    }
  }
}

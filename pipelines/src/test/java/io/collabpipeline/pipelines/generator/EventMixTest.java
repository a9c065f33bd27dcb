package io.collabpipeline.pipelines.generator;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import io.collabpipeline.model.EventType;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** The generator's table of event types: a consistent row for every type of {@link EventType}. */
@RunWith(JUnit4.class)
public class EventMixTest {

  /** The family of a type, from the prefix of its wire name. */
  private static final Map<String, EventFamily> FAMILY_BY_PREFIX =
      Map.of(
          "task", EventFamily.TASK,
          "comment", EventFamily.COMMENT,
          "project", EventFamily.PROJECT_MEMBERSHIP,
          "notification", EventFamily.NOTIFICATION,
          "workspace", EventFamily.WORKSPACE_MEMBERSHIP,
          "user", EventFamily.USER_ERASURE);

  @Test
  public void everyTypeHasAPositiveWeightAndTheFamilyOfItsWireName() {
    for (EventType type : EventType.values()) {
      EventMix.Profile profile = EventMix.profile(type);
      String prefix = type.wireName().substring(0, type.wireName().indexOf('.'));
      assertThat(type.wireName(), profile.weight(), greaterThan(0.0));
      assertThat(type.wireName(), profile.family(), is(FAMILY_BY_PREFIX.get(prefix)));
    }
  }

  @Test
  public void onlyEditorActionsTriggerNotificationsAndNotificationsComeFromServers() {
    for (EventType type : EventType.values()) {
      EventMix.Profile profile = EventMix.profile(type);
      if (profile.triggersNotifications()) {
        assertThat(type.wireName(), type.countsAsEditor(), is(true));
      }
    }
    assertThat(
        EventMix.profile(EventType.NOTIFICATION_SENT).clients(), is(EventMix.Clients.BACKEND_ONLY));
  }

  @Test
  public void drawsCoverTheUnitInterval() {
    assertThat(EventMix.draw(0.0), is(EventType.TASK_CREATED));
    assertThat(EventMix.draw(Math.nextDown(1.0)), is(EventType.USER_ERASURE_REQUESTED));
  }
}

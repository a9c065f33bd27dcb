package io.collabpipeline.pipelines.generator;

import com.fasterxml.jackson.core.JsonGenerator;
import io.collabpipeline.model.EventType;
import io.collabpipeline.model.ReasonCode;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Writes an event's {@code resource} and {@code payload}, one builder per {@link EventFamily}, with
 * the payload rules of contract 1: task events carry {@code task_gid} and {@code project_gids}
 * ({@code task.updated} also {@code changed_fields}), comment events {@code task_gid} ({@code
 * added|edited} also {@code text} and {@code mentioned_user_gids}), and so on; plus the unknown
 * {@code x_*} fields real clients send.
 *
 * <p>Every event first draws the task it is about (and that task's project), whatever its family,
 * so the random stream is consumed the same way for every type. A PAYLOAD_INVALID corruption leaves
 * out the payload's first required field; TOO_DEEP and TOO_LARGE add a field by {@link
 * MalformedRecords#writeOversizedFields}. Thread-safe.
 */
final class PayloadWriter {

  /**
   * What the payload is about: the task (and its project) drawn for every event, and the
   * workspace's size.
   */
  private record Subject(
      int users, long task, String taskGid, long project, long projects, boolean omitRequired) {}

  private final long seed;
  private final DeliveryPlan plan;
  private final Population population;

  PayloadWriter(long seed, DeliveryPlan plan, Population population) {
    this.seed = seed;
    this.plan = plan;
    this.population = population;
  }

  /**
   * Writes the {@code resource} and {@code payload} fields of {@code e}, drawing from {@code rng}.
   */
  void writeResourceAndPayload(JsonGenerator json, EventDraft e, SplitMix rng) throws IOException {
    int workspace = e.workspace();
    int users = population.users(workspace);
    long tasks = users * 12L;
    double t = rng.nextDouble();
    long task = (long) (t * t * t * tasks);
    long projects = Math.max(3, users / 6);
    long project = (SplitMix.hash(seed, (long) workspace << 40 | task, Salt.BODY) >>> 1) % projects;
    String taskGid = population.taskGid(workspace, task);
    boolean omitRequired = e.corruption() == ReasonCode.PAYLOAD_INVALID;
    Subject s = new Subject(users, task, taskGid, project, projects, omitRequired);
    EventFamily family = EventMix.profile(e.type()).family();

    json.writeObjectFieldStart("resource");
    json.writeStringField("type", family.resourceType());
    json.writeStringField("gid", resourceGid(family, e, s));
    json.writeEndObject();

    json.writeObjectFieldStart("payload");
    MalformedRecords.writeOversizedFields(json, e.corruption());
    switch (family) {
      case TASK:
        writeTask(json, e, s, rng);
        break;
      case COMMENT:
        writeComment(json, e, s, rng);
        break;
      case PROJECT_MEMBERSHIP:
        writeProjectMembership(json, e, s, rng);
        break;
      case NOTIFICATION:
        writeNotification(json, e, s, rng);
        break;
      case WORKSPACE_MEMBERSHIP:
        writeWorkspaceMembership(json, e, s, rng);
        break;
      case USER_ERASURE:
        writeUserErasure(json, e, s, rng);
        break;
      default:
        throw new IllegalStateException("no payload for type " + e.type());
    }
    json.writeEndObject();
  }

  private String resourceGid(EventFamily family, EventDraft e, Subject s) {
    switch (family) {
      case COMMENT:
        return Ids.gid(SplitMix.hash(seed, e.index(), Salt.COMMENT_GID));
      case PROJECT_MEMBERSHIP:
        return population.projectGid(e.workspace(), s.project());
      case NOTIFICATION:
        return Ids.gid(SplitMix.hash(seed, e.index(), Salt.NOTIFICATION_GID));
      case WORKSPACE_MEMBERSHIP:
        return population.workspaceGid(e.workspace());
      case USER_ERASURE:
        return population.userGid(e.workspace(), e.actor());
      default:
        return s.taskGid();
    }
  }

  /**
   * {@code task.*}: the task and its projects; a new task's name, assignee and due date; an
   * update's changes.
   */
  private void writeTask(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    if (!s.omitRequired()) {
      json.writeStringField("task_gid", s.taskGid());
    }
    writeProjectGids(json, e.workspace(), s, rng);
    switch (e.type()) {
      case TASK_CREATED:
        json.writeStringField("name", Vocabulary.sentence(rng, 3, 9));
        if (rng.chance(0.7)) {
          json.writeStringField(
              "assignee_gid", population.userGid(e.workspace(), rng.nextInt(s.users())));
        }
        if (rng.chance(0.5)) {
          json.writeStringField(
              "due_on",
              LocalDateTime.ofInstant(Instant.ofEpochMilli(e.occurredMillis()), ZoneOffset.UTC)
                  .toLocalDate()
                  .plusDays(1 + rng.nextInt(30))
                  .toString());
        }
        json.writeStringField("x_section", rng.pick(Vocabulary.SECTIONS));
        break;
      case TASK_UPDATED:
        json.writeArrayFieldStart("changed_fields");
        int changed = 1 + rng.nextInt(3);
        int first = rng.nextInt(Vocabulary.TASK_FIELDS.length);
        for (int i = 0; i < changed; i++) {
          json.writeString(Vocabulary.TASK_FIELDS[(first + i) % Vocabulary.TASK_FIELDS.length]);
        }
        json.writeEndArray();
        if (e.version() == 2 && rng.chance(0.8)) {
          json.writeArrayFieldStart("custom_field_gids");
          int fields = rng.nextInt(4);
          for (int i = 0; i < fields; i++) {
            long field = (long) e.workspace() << 8 | rng.nextInt(40);
            json.writeString(Ids.gid(SplitMix.hash(seed, field, Salt.CUSTOM_FIELD_GID)));
          }
          json.writeEndArray();
        }
        break;
      default:
        break; // task.completed and task.deleted carry only the task and its projects
    }
  }

  /** The task's project, and another of the workspace's projects for one task in five. */
  private void writeProjectGids(JsonGenerator json, int workspace, Subject s, SplitMix rng)
      throws IOException {
    json.writeArrayFieldStart("project_gids");
    json.writeString(population.projectGid(workspace, s.project()));
    if (rng.chance(0.2)) {
      long other = (s.project() + 1 + rng.nextLong(s.projects() - 1)) % s.projects();
      json.writeString(population.projectGid(workspace, other));
    }
    json.writeEndArray();
  }

  /**
   * {@code comment.*}: the commented task; an added or edited comment's text (PII) and mentions.
   */
  private void writeComment(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    if (!s.omitRequired()) {
      json.writeStringField("task_gid", s.taskGid());
    }
    if (e.type() == EventType.COMMENT_DELETED) {
      return;
    }
    json.writeStringField("text", Vocabulary.sentence(rng, 6, 70));
    json.writeArrayFieldStart("mentioned_user_gids");
    int mentions = rng.chance(0.6) ? 0 : 1 + rng.nextInt(3);
    for (int i = 0; i < mentions; i++) {
      json.writeString(population.userGid(e.workspace(), rng.nextInt(s.users())));
    }
    json.writeEndArray();
  }

  /** {@code project.member_*}: the project, the member and the role. */
  private void writeProjectMembership(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    if (!s.omitRequired()) {
      json.writeStringField("project_gid", population.projectGid(e.workspace(), s.project()));
    }
    json.writeStringField(
        "member_user_gid", population.userGid(e.workspace(), rng.nextInt(s.users())));
    json.writeStringField("role", rng.pick(Vocabulary.ROLES));
  }

  /**
   * {@code notification.sent}: a recipient other than the actor, a channel, and the trigger's id
   * and type.
   */
  private void writeNotification(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    int recipient = rng.nextInt(s.users() - 1);
    if (recipient >= e.actor()) {
      recipient++; // nobody is notified of their own action
    }
    if (!s.omitRequired()) {
      json.writeStringField("recipient_user_gid", population.userGid(e.workspace(), recipient));
    }
    double c = rng.nextDouble();
    json.writeStringField("channel", c < 0.55 ? "inbox" : c < 0.8 ? "email" : "push");
    long trigger = e.trigger();
    EventType triggerType = plan.type(trigger);
    json.writeStringField(
        "trigger_event_id", plan.eventId(trigger, plan.platform(trigger, triggerType)));
    json.writeStringField("trigger_event_type", triggerType.wireName());
    json.writeStringField(
        "x_template",
        "notif_" + triggerType.wireName().replace('.', '_') + "_v" + (3 + rng.nextInt(4)));
    json.writeStringField("x_preview", Vocabulary.sentence(rng, 10, 30));
  }

  /** {@code workspace.user_*}: the user who joined or left, and how they were invited. */
  private void writeWorkspaceMembership(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    if (!s.omitRequired()) {
      json.writeStringField("user_gid", population.userGid(e.workspace(), rng.nextInt(s.users())));
    }
    json.writeStringField("x_invite_source", rng.pick(Vocabulary.INVITE_SOURCES));
  }

  /**
   * {@code user.erasure_requested}: the actor asks for their own erasure, up to a day before it is
   * sent.
   */
  private void writeUserErasure(JsonGenerator json, EventDraft e, Subject s, SplitMix rng)
      throws IOException {
    if (!s.omitRequired()) {
      json.writeStringField("user_gid", population.userGid(e.workspace(), e.actor()));
    }
    json.writeStringField(
        "requested_at",
        Instant.ofEpochMilli(e.occurredMillis() - rng.nextLong(86_400_000L)).toString());
  }
}

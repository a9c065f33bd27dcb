package io.collabpipeline.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The 13 registered event types of contract 1, with their wire names and the metric definitions of
 * contract 2 as properties. The one place in code that says what an event type is and what it
 * counts for; the schema registry ({@code schemas/index.json}) names the same set of types, which a
 * test in {@code coders} checks.
 *
 * <p>Guarantees: {@link #wireName()} is exactly the {@code event_type} string of the contract and
 * never changes for a constant; {@link #fromWireName(String)} and {@link
 * #forWireNameOrNull(String)} never throw (an unregistered, null or differently cased name is
 * simply not found); the metric properties are exactly the brief's definitions:
 *
 * <ul>
 *   <li>{@link #countsAsEditor()}: the actor is an "editor" for {@code active_editors} ({@code
 *       task.created|updated|completed}, {@code comment.added|edited}, {@code project.member_*});
 *   <li>{@link #isTaskEvent()}: counted in {@code task_updates} of {@code task_update_velocity}
 *       ({@code task.*});
 *   <li>{@link #completesTask()}: counted in {@code tasks_completed} ({@code task.completed});
 *   <li>{@link #isNotification()}: counted in {@code notification_fanout} ({@code
 *       notification.sent}).
 * </ul>
 *
 * <p>The declaration order is the order of the contract's list; the synthetic workload draws types
 * in this order, so reordering the constants changes the generated records (its golden-hash test
 * says so).
 */
public enum EventType {
  TASK_CREATED("task.created", Trait.EDITOR, Trait.TASK),
  TASK_UPDATED("task.updated", Trait.EDITOR, Trait.TASK),
  TASK_COMPLETED("task.completed", Trait.EDITOR, Trait.TASK, Trait.COMPLETES_TASK),
  TASK_DELETED("task.deleted", Trait.TASK),
  COMMENT_ADDED("comment.added", Trait.EDITOR),
  COMMENT_EDITED("comment.edited", Trait.EDITOR),
  COMMENT_DELETED("comment.deleted"),
  PROJECT_MEMBER_ADDED("project.member_added", Trait.EDITOR),
  PROJECT_MEMBER_REMOVED("project.member_removed", Trait.EDITOR),
  NOTIFICATION_SENT("notification.sent", Trait.NOTIFICATION),
  WORKSPACE_USER_JOINED("workspace.user_joined"),
  WORKSPACE_USER_LEFT("workspace.user_left"),
  USER_ERASURE_REQUESTED("user.erasure_requested");

  /** What an event type counts for in the curated metrics. */
  private enum Trait {
    EDITOR,
    TASK,
    COMPLETES_TASK,
    NOTIFICATION
  }

  private static final Map<String, EventType> BY_WIRE_NAME;

  static {
    Map<String, EventType> byWireName = new HashMap<>();
    for (EventType type : values()) {
      byWireName.put(type.wireName, type);
    }
    BY_WIRE_NAME = Collections.unmodifiableMap(byWireName);
  }

  private final String wireName;
  private final Set<Trait> traits;

  EventType(String wireName, Trait... traits) {
    this.wireName = wireName;
    this.traits = EnumSet.noneOf(Trait.class);
    Collections.addAll(this.traits, traits);
  }

  /** The {@code event_type} string of the envelope, e.g. {@code task.updated}. */
  public String wireName() {
    return wireName;
  }

  /**
   * The type whose wire name is exactly {@code wireName}; empty for an unregistered name or null.
   * Never throws.
   */
  public static Optional<EventType> fromWireName(@Nullable String wireName) {
    return Optional.ofNullable(forWireNameOrNull(wireName));
  }

  /**
   * As {@link #fromWireName(String)}, null instead of empty: for per-element code that should not
   * allocate. Never throws.
   */
  public static @Nullable EventType forWireNameOrNull(@Nullable String wireName) {
    return wireName == null ? null : BY_WIRE_NAME.get(wireName);
  }

  /**
   * Whether the actor of such an event is an "editor" for {@code active_editors}: {@code
   * task.created|updated|completed}, {@code comment.added|edited}, {@code
   * project.member_added|removed}.
   */
  public boolean countsAsEditor() {
    return traits.contains(Trait.EDITOR);
  }

  /**
   * Whether it is a {@code task.*} event, counted in {@code task_updates} (its task gid in {@code
   * tasks_touched}).
   */
  public boolean isTaskEvent() {
    return traits.contains(Trait.TASK);
  }

  /**
   * Whether it completes a task, counted in {@code tasks_completed}: {@code task.completed} only.
   */
  public boolean completesTask() {
    return traits.contains(Trait.COMPLETES_TASK);
  }

  /**
   * Whether it is a notification, the input of {@code notification_fanout}: {@code
   * notification.sent} only.
   */
  public boolean isNotification() {
    return traits.contains(Trait.NOTIFICATION);
  }
}

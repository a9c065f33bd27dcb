package io.collabpipeline.pipelines.generator;

import static io.collabpipeline.pipelines.generator.EventFamily.COMMENT;
import static io.collabpipeline.pipelines.generator.EventFamily.NOTIFICATION;
import static io.collabpipeline.pipelines.generator.EventFamily.PROJECT_MEMBERSHIP;
import static io.collabpipeline.pipelines.generator.EventFamily.TASK;
import static io.collabpipeline.pipelines.generator.EventFamily.USER_ERASURE;
import static io.collabpipeline.pipelines.generator.EventFamily.WORKSPACE_MEMBERSHIP;

import io.collabpipeline.model.EventType;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * How the generator treats each {@link EventType}: one row per type with its relative frequency,
 * its family (resource and payload), which clients send it and whether it can trigger
 * notifications. Every registered type has a row.
 *
 * <p>The mix: many {@code task.updated} and {@code notification.sent}, fewer comments, few
 * membership, workspace and erasure events. Types are drawn over the cumulative weights in {@link
 * EventType}'s declaration order; the weights and that order are part of the workload's definition.
 */
final class EventMix {

  private EventMix() {}

  /** Which clients send a type, and how a uniform draw picks the platform. */
  enum Clients {
    /** Sent by servers only. */
    BACKEND_ONLY,
    /** Mostly the web app, else a server. */
    WEB_OR_BACKEND,
    /** Any client: half web, then iOS, Android and servers. */
    ANY;

    /** The {@code source.platform} for a uniform draw {@code u} in [0, 1). */
    String platform(double u) {
      switch (this) {
        case BACKEND_ONLY:
          return "backend";
        case WEB_OR_BACKEND:
          return u < 0.6 ? "web" : "backend";
        default:
          return u < 0.5 ? "web" : u < 0.7 ? "ios" : u < 0.88 ? "android" : "backend";
      }
    }
  }

  /** The generator's row for one event type. */
  record Profile(
      double weight, EventFamily family, Clients clients, boolean triggersNotifications) {}

  private static final boolean TRIGGERS = true;
  private static final boolean SILENT = false;

  private static final Map<EventType, Profile> PROFILES = profiles();

  private static final EventType[] TYPES = EventType.values();

  /** Cumulative weights of {@link #TYPES}, in order. */
  private static final double[] TYPE_CDF = typeCdf();

  private static Map<EventType, Profile> profiles() {
    Map<EventType, Profile> p = new EnumMap<>(EventType.class);
    p.put(EventType.TASK_CREATED, new Profile(6, TASK, Clients.ANY, TRIGGERS));
    p.put(EventType.TASK_UPDATED, new Profile(28, TASK, Clients.ANY, TRIGGERS));
    p.put(EventType.TASK_COMPLETED, new Profile(6, TASK, Clients.ANY, TRIGGERS));
    p.put(EventType.TASK_DELETED, new Profile(1, TASK, Clients.ANY, SILENT));
    p.put(EventType.COMMENT_ADDED, new Profile(8, COMMENT, Clients.ANY, TRIGGERS));
    p.put(EventType.COMMENT_EDITED, new Profile(2, COMMENT, Clients.ANY, TRIGGERS));
    p.put(EventType.COMMENT_DELETED, new Profile(1, COMMENT, Clients.ANY, SILENT));
    p.put(
        EventType.PROJECT_MEMBER_ADDED,
        new Profile(1.2, PROJECT_MEMBERSHIP, Clients.ANY, TRIGGERS));
    p.put(
        EventType.PROJECT_MEMBER_REMOVED,
        new Profile(0.6, PROJECT_MEMBERSHIP, Clients.ANY, SILENT));
    p.put(EventType.NOTIFICATION_SENT, new Profile(33, NOTIFICATION, Clients.BACKEND_ONLY, SILENT));
    p.put(
        EventType.WORKSPACE_USER_JOINED,
        new Profile(0.6, WORKSPACE_MEMBERSHIP, Clients.WEB_OR_BACKEND, SILENT));
    p.put(
        EventType.WORKSPACE_USER_LEFT,
        new Profile(0.25, WORKSPACE_MEMBERSHIP, Clients.WEB_OR_BACKEND, SILENT));
    p.put(
        EventType.USER_ERASURE_REQUESTED,
        new Profile(0.05, USER_ERASURE, Clients.BACKEND_ONLY, SILENT));
    if (p.size() != EventType.values().length) {
      throw new IllegalStateException(
          "EventMix needs a row for every event type, has " + p.keySet());
    }
    return Collections.unmodifiableMap(p);
  }

  private static double[] typeCdf() {
    double[] weights = new double[TYPES.length];
    for (EventType type : TYPES) {
      weights[type.ordinal()] = PROFILES.get(type).weight();
    }
    return Cdf.of(weights);
  }

  /** The row of {@code type}. */
  static Profile profile(EventType type) {
    return PROFILES.get(type);
  }

  /** The type a uniform draw {@code u} in [0, 1) picks. */
  static EventType draw(double u) {
    for (int i = 0; i < TYPE_CDF.length; i++) {
      if (u < TYPE_CDF[i]) {
        return TYPES[i];
      }
    }
    return TYPES[TYPE_CDF.length - 1];
  }
}

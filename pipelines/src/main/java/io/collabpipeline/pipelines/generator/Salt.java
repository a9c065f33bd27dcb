package io.collabpipeline.pipelines.generator;

/**
 * The salts of {@link SplitMix#hash(long, long, long)}: one per independent choice of the workload,
 * so choices made for the same (seed, index) do not correlate. The values are part of the
 * workload's definition: changing one changes the generated records.
 */
final class Salt {

  private Salt() {}

  /** Original, duplicate or malformed. */
  static final long KIND = 1;

  /** The event type. */
  static final long TYPE = 2;

  /** How far back a duplicate reaches. */
  static final long RETRY = 3;

  /** The workspace. */
  static final long WORKSPACE = 4;

  /** The acting user. */
  static final long ACTOR = 5;

  /** The event id. */
  static final long ID = 6;

  /** The delay between occurrence and arrival. */
  static final long DELAY = 7;

  /** The event body (its random stream) and the project of a task. */
  static final long BODY = 8;

  /** The notification block and a notification's trigger within it. */
  static final long BLOCK = 9;

  /** How far back a block's triggers are. */
  static final long TRIGGER = 10;

  /** The corruption of a malformed delivery (its random stream). */
  static final long CORRUPTION = 11;

  /** The client platform. */
  static final long PLATFORM = 12;

  /** Gids of workspaces, users, tasks and projects. */
  static final long GID = 13;

  /** The low half of a UUID-like event id. */
  static final long ID_LOW = ID + 100;

  /** A user's display name and email. */
  static final long NAME = ACTOR + 50;

  /** A user's IP address. */
  static final long IP = ACTOR + 60;

  /** The gid of a comment resource. */
  static final long COMMENT_GID = GID + 1;

  /** The gid of a notification resource. */
  static final long NOTIFICATION_GID = GID + 2;

  /** The gids of a workspace's custom fields. */
  static final long CUSTOM_FIELD_GID = GID + 3;

  static final long TRACE_ID_HIGH = 901;
  static final long TRACE_ID_LOW = 902;
  static final long SPAN_ID = 903;
  static final long PARENT_SPAN_ID = 904;
  static final long REQUEST_ID_HIGH = 905;
  static final long REQUEST_ID_LOW = 906;
}

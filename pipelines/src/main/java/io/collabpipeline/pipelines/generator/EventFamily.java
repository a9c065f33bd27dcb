package io.collabpipeline.pipelines.generator;

/**
 * The families of event types the generator writes alike: one resource type each, and one payload
 * builder in {@link PayloadWriter}.
 */
enum EventFamily {
  /** {@code task.*}: the resource is the task. */
  TASK("task"),
  /** {@code comment.*}: the resource is the comment, the payload names its task. */
  COMMENT("comment"),
  /** {@code project.member_*}: the resource is the project. */
  PROJECT_MEMBERSHIP("project"),
  /** {@code notification.sent}: the resource is the notification, the payload names its trigger. */
  NOTIFICATION("notification"),
  /** {@code workspace.user_*}: the resource is the workspace. */
  WORKSPACE_MEMBERSHIP("workspace"),
  /** {@code user.erasure_requested}: the resource is the user. */
  USER_ERASURE("user");

  private final String resourceType;

  EventFamily(String resourceType) {
    this.resourceType = resourceType;
  }

  /** The envelope's {@code resource.type}. */
  String resourceType() {
    return resourceType;
  }
}

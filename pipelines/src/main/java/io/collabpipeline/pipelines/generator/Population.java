package io.collabpipeline.pipelines.generator;

import java.util.Arrays;
import java.util.Locale;

/**
 * The workspaces and users of a workload: Zipf-sized workspaces (activity follows size), skewed
 * activity of users within a workspace, and the identities (gids, names, emails, IP addresses,
 * sessions) derived from the seed. Immutable and thread-safe; every answer is a pure function of
 * the spec and the arguments.
 */
final class Population {

  private final long seed;
  private final double[] workspaceCdf;
  private final int[] workspaceUsers;
  private final String[] workspaceGids;
  private final String[] workspaceDomains;

  Population(WorkloadSpec spec) {
    this.seed = spec.seed();
    int n = spec.workspaces();
    double[] weights = new double[n];
    double total = 0;
    for (int w = 0; w < n; w++) {
      weights[w] = 1.0 / Math.pow(w + 1, 1.1);
      total += weights[w];
    }
    this.workspaceCdf = Cdf.of(weights);
    this.workspaceUsers = new int[n];
    this.workspaceGids = new String[n];
    this.workspaceDomains = new String[n];
    for (int w = 0; w < n; w++) {
      long users = Math.round(weights[w] / total * n * spec.usersPerWorkspace());
      workspaceUsers[w] = (int) Math.max(3, Math.min(users, 1_000_000));
      workspaceGids[w] = Ids.gid(SplitMix.hash(seed, w, Salt.GID));
      String company = Vocabulary.COMPANIES[w % Vocabulary.COMPANIES.length];
      workspaceDomains[w] =
          company + (w < Vocabulary.COMPANIES.length ? "" : "-" + w) + ".example.com";
    }
  }

  /** The workspace of the event at {@code index}: large workspaces are picked more often. */
  int workspaceOf(long index) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, Salt.WORKSPACE));
    int w = Arrays.binarySearch(workspaceCdf, u);
    return Math.min(w >= 0 ? w + 1 : -w - 1, workspaceCdf.length - 1);
  }

  /** The acting user of the event at {@code index}: users are not equally active, a skewed pick. */
  int actorOf(long index, int workspace) {
    double u = SplitMix.unit(SplitMix.hash(seed, index, Salt.ACTOR));
    return (int) (u * u * workspaceUsers[workspace]);
  }

  /** Number of users of {@code workspace}, at least 3. */
  int users(int workspace) {
    return workspaceUsers[workspace];
  }

  String workspaceGid(int workspace) {
    return workspaceGids[workspace];
  }

  String userGid(int workspace, int user) {
    return Ids.gid(SplitMix.hash(seed ^ 0x5555L, (long) workspace << 32 | user, Salt.GID));
  }

  String taskGid(int workspace, long task) {
    return Ids.gid(SplitMix.hash(seed ^ 0x7777L, (long) workspace << 40 | task, Salt.GID));
  }

  String projectGid(int workspace, long project) {
    return Ids.gid(SplitMix.hash(seed ^ 0x9999L, (long) workspace << 40 | project, Salt.GID));
  }

  /** The user's display name (PII), with non-ASCII letters. */
  String name(int workspace, int user) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, Salt.NAME);
    return Vocabulary.FIRST_NAMES[(int) ((h >>> 1) % Vocabulary.FIRST_NAMES.length)]
        + " "
        + Vocabulary.LAST_NAMES[(int) ((h >>> 20) % Vocabulary.LAST_NAMES.length)];
  }

  /** The user's email (PII) at the workspace's domain. */
  String email(int workspace, int user) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, Salt.NAME);
    return Vocabulary.FIRST_ASCII[(int) ((h >>> 1) % Vocabulary.FIRST_ASCII.length)]
        + "."
        + Vocabulary.LAST_ASCII[(int) ((h >>> 20) % Vocabulary.LAST_ASCII.length)]
        + (user % 7 == 0 ? Integer.toString(user) : "")
        + "@"
        + workspaceDomains[workspace];
  }

  /**
   * The user's IP address (PII): fixed per user, IPv6 for some events; draws one value from {@code
   * rng}.
   */
  String ip(int workspace, int user, SplitMix rng) {
    long h = SplitMix.hash(seed, (long) workspace << 32 | user, Salt.IP);
    if (rng.chance(0.15)) {
      return String.format(
          Locale.ROOT,
          "2001:db8:%x:%x::%x",
          (h >>> 48) & 0xFFFF,
          (h >>> 32) & 0xFFFF,
          (h >>> 16) & 0xFFFF);
    }
    return (10 + (h & 0x7F))
        + "."
        + ((h >>> 8) & 0xFF)
        + "."
        + ((h >>> 16) & 0xFF)
        + "."
        + (1 + ((h >>> 24) & 0xFD));
  }

  /**
   * The session id (PII) of the user in the hour of {@code occurredMillis}: one session per user
   * and hour.
   */
  String sessionId(int workspace, int user, long occurredMillis) {
    long session = SplitMix.hash(seed, (long) workspace << 32 | user, occurredMillis / 3_600_000L);
    return "sess_" + Long.toHexString(session);
  }
}

"""A small deterministic event workload over two weeks, and the metrics it must give, computed here in plain Python
from the input itself (an oracle independent of the pipeline and of the dbt SQL)."""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

FIRST_DAY = date(2026, 11, 1)
DAYS = 14
WORKSPACES = ["1001", "1002", "1003"]
EDITOR_TYPES = {
    "task.created", "task.updated", "task.completed", "comment.added", "comment.edited",
    "project.member_added", "project.member_removed",
}
TRIGGER_TYPES = ["task.created", "task.updated", "task.completed", "comment.added"]
ROLES = ["owner", "editor", "commenter", "viewer"]
# The files' arrival (modification time): after the last event day, within the pipeline's 180-day event age.
ARRIVAL = datetime(2026, 11, 16, tzinfo=timezone.utc)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def generate(seed: int = 7) -> list[dict]:
    """Events of DAYS days in WORKSPACES; a workspace is quiet on some days (gaps for the rolling sums)."""
    rnd = random.Random(seed)
    mentions = random.Random(seed + 2)  # its own stream: the other events stay as they were
    events: list[dict] = []
    counter = 0

    def event(event_type: str, day: date, workspace: str, actor: str, resource: tuple[str, str], payload: dict) -> dict:
        nonlocal counter
        counter += 1
        at = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(seconds=rnd.randrange(86400))
        e = {
            "event_id": f"evt-{seed}-{counter:06d}",
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": _ts(at),
            "workspace_gid": workspace,
            "actor": {"user_gid": actor, "email": f"user{actor}@example.com", "name": f"User {actor}"},
            "source": {"platform": rnd.choice(["web", "ios", "android"])},
            "resource": {"type": resource[0], "gid": resource[1]},
            "payload": payload,
        }
        events.append(e)
        return e

    for d in range(DAYS):
        day = FIRST_DAY + timedelta(days=d)
        for wi, ws in enumerate(WORKSPACES):
            if (d + wi) % 5 == 4:  # a quiet day
                continue
            users = [f"{ws}{u:03d}" for u in range(12)]
            tasks = [f"{ws}9{t:03d}" for t in range(30)]
            project = f"{ws}7{wi}"
            triggers = []
            for _ in range(rnd.randrange(10, 40)):
                kind = rnd.choice(["task.created", "task.updated", "task.updated", "task.completed", "task.deleted",
                                   "comment.added", "comment.edited"])
                task = rnd.choice(tasks)
                if kind.startswith("task."):
                    payload: dict = {"task_gid": task, "project_gids": [project]}
                    if kind == "task.updated":
                        payload["changed_fields"] = ["name"]
                    e = event(kind, day, ws, rnd.choice(users), ("task", task), payload)
                else:
                    # free text: the pipeline must drop it before the raw store
                    mentioned = mentions.sample(users, mentions.randrange(0, 3)) if kind == "comment.added" else []
                    payload = {"task_gid": task, "mentioned_user_gids": mentioned, "text": "a comment with private words"}
                    e = event(kind, day, ws, rnd.choice(users), ("comment", f"{ws}8{counter}"), payload)
                if kind in TRIGGER_TYPES:
                    triggers.append(e)
            for trigger in rnd.sample(triggers, min(len(triggers), 6)):
                for _ in range(rnd.randrange(1, 5)):
                    recipient = rnd.choice(users)
                    event("notification.sent", day, ws, rnd.choice(users), ("notification", f"{ws}6{counter}"), {
                        "recipient_user_gid": recipient, "channel": rnd.choice(["inbox", "email", "push"]),
                        "trigger_event_id": trigger["event_id"], "trigger_event_type": trigger["event_type"],
                    })
            for _ in range(rnd.randrange(0, 4)):
                user = rnd.choice(users[:5])
                kind = rnd.choice(["workspace.user_joined", "workspace.user_joined", "workspace.user_left"])
                event(kind, day, ws, user, ("workspace", ws), {"user_gid": user})
            for _ in range(rnd.randrange(0, 4)):
                user = rnd.choice(users[:5])
                kind = rnd.choice(["project.member_added", "project.member_added", "project.member_removed"])
                event(kind, day, ws, rnd.choice(users), ("project", project),
                      {"project_gid": project, "member_user_gid": user, "role": rnd.choice(ROLES)})
    return events


def write_ndjson(events: list[dict], path: Path, seed: int = 7) -> None:
    """The events as NDJSON, with about 3% delivered twice (a client retry), arriving at ARRIVAL."""
    rnd = random.Random(seed + 1)
    lines = []
    for e in events:
        line = json.dumps(e, separators=(",", ":"))
        lines.append(line)
        if rnd.random() < 0.03:
            lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = ARRIVAL.timestamp()
    os.utime(path, (stamp, stamp))


@dataclass
class DayMetrics:
    editors: set[str] = field(default_factory=set)
    task_updates: int = 0
    tasks: set[str] = field(default_factory=set)
    tasks_completed: int = 0
    notifications: int = 0
    triggers: set[str] = field(default_factory=set)


def expected_workspace_daily_health(events: list[dict]) -> dict[tuple[date, str], dict]:
    """workspace_daily_health as the contract defines its measures, by (day, workspace_gid)."""
    by_key: dict[tuple[date, str], DayMetrics] = defaultdict(DayMetrics)
    for e in {e["event_id"]: e for e in events}.values():
        day = datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00")).date()
        t = e["event_type"]
        if t not in EDITOR_TYPES and not t.startswith("task.") and t != "notification.sent":
            continue
        m = by_key[(day, e["workspace_gid"])]
        if t in EDITOR_TYPES:
            m.editors.add(e["actor"]["user_gid"])
        if t.startswith("task."):
            m.task_updates += 1
            m.tasks.add(e["payload"]["task_gid"])
            m.tasks_completed += t == "task.completed"
        if t == "notification.sent":
            m.notifications += 1
            m.triggers.add(e["payload"]["trigger_event_id"])
    first_day = {}
    for day, ws in sorted(by_key):
        first_day.setdefault(ws, day)
    out = {}
    for (day, ws), m in by_key.items():
        window = [by_key.get((day - timedelta(days=k), ws)) for k in range(7)]
        window = [w for w in window if w is not None]
        prev = by_key.get((day - timedelta(days=7), ws))
        comparable = day - timedelta(days=7) >= first_day[ws]
        notifications_7d = sum(w.notifications for w in window)
        triggers_7d = sum(len(w.triggers) for w in window)
        out[(day, ws)] = {
            "active_editors": len(m.editors),
            "task_updates": m.task_updates,
            "tasks_touched": len(m.tasks),
            "tasks_completed": m.tasks_completed,
            "notifications": m.notifications,
            "fanout_avg": m.notifications / len(m.triggers) if m.triggers else None,
            "active_editors_7d_avg": sum(len(w.editors) for w in window) / 7,
            "task_updates_7d": sum(w.task_updates for w in window),
            "tasks_completed_7d": sum(w.tasks_completed for w in window),
            "notifications_7d": notifications_7d,
            "fanout_avg_7d": notifications_7d / triggers_7d if triggers_7d else None,
            "active_editors_wow_change":
                len(m.editors) - (len(prev.editors) if prev else 0) if comparable else None,
            "task_updates_wow_change": m.task_updates - (prev.task_updates if prev else 0) if comparable else None,
            "notifications_wow_change": m.notifications - (prev.notifications if prev else 0) if comparable else None,
        }
    return out


def expected_fanout_daily(events: list[dict]) -> dict[tuple[date, str], dict]:
    """notification_fanout_daily by (day, trigger_event_type)."""
    per_trigger: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    workspaces: dict[tuple[date, str], set[str]] = defaultdict(set)
    for e in {e["event_id"]: e for e in events}.values():
        if e["event_type"] != "notification.sent":
            continue
        day = datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00")).date()
        key = (day, e["payload"]["trigger_event_type"])
        per_trigger[key][e["payload"]["trigger_event_id"]] += 1
        workspaces[key].add(e["workspace_gid"])
    return {
        key: {
            "workspaces": len(workspaces[key]),
            "trigger_events": len(counts),
            "notifications": sum(counts.values()),
            "fanout_avg": sum(counts.values()) / len(counts),
            "fanout_max": max(counts.values()),
        }
        for key, counts in per_trigger.items()
    }


# The embedded default's pseudonym key (KeyReference's dev key) and the pseudonym rule (Pseudonymizer's Javadoc): "u_" +
# the first 128 bits of HMAC-SHA256(key, user gid) in lowercase hex. Written here from that rule, not from the code.
DEV_KEY = b"collab-pipeline-dev-pseudonym-key-INSECURE-do-not-use-in-production"


def pseudonym(user_gid: str, key: bytes = DEV_KEY) -> str:
    import hashlib
    import hmac

    return "u_" + hmac.new(key, user_gid.encode("utf-8"), hashlib.sha256).digest()[:16].hex()


EDITS = EDITOR_TYPES


def expected_user_activity_daily(events: list[dict]) -> dict[tuple[date, str, str], dict]:
    """user_activity_daily by (day, workspace_gid, user pseudonym), from the input: edits, comments,
    mentions_received (comment.added only), notifications_received."""
    rows: dict[tuple[date, str, str], dict] = defaultdict(
        lambda: {"edits": 0, "comments": 0, "mentions_received": 0, "notifications_received": 0})
    for e in {e["event_id"]: e for e in events}.values():
        day = datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00")).date()
        ws, actor, t = e["workspace_gid"], e["actor"]["user_gid"], e["event_type"]
        if t in EDITS:
            rows[(day, ws, pseudonym(actor))]["edits"] += 1
        if t == "comment.added":
            rows[(day, ws, pseudonym(actor))]["comments"] += 1
            for m in e["payload"]["mentioned_user_gids"]:
                rows[(day, ws, pseudonym(m))]["mentions_received"] += 1
        if t == "notification.sent":
            rows[(day, ws, pseudonym(e["payload"]["recipient_user_gid"]))]["notifications_received"] += 1
    return dict(rows)

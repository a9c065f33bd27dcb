"""Replay dates, always derived from a run's data interval or its explicit parameters, never from the clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta

MAX_REPLAY_DAYS = 30
# A UTC date's windows are final this long after the date ends: the pipeline's allowed lateness (2 h) plus slack.
# The nightly correction runs at 03:00 for the same reason.
CLOSED_AFTER = timedelta(hours=3)


def correction_days(data_interval_end: datetime, days: int = 2) -> list[date]:
    """The `days` UTC dates before the data interval's end: a run ending 2026-11-04T03:00Z replays 11-02 and 11-03."""
    end = data_interval_end.date()
    return [end - timedelta(days=n) for n in range(days, 0, -1)]


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date: write YYYY-MM-DD") from None


def days_between(first: date, last: date, limit: int = MAX_REPLAY_DAYS) -> list[date]:
    """Every date from first to last, both included; refuses a reversed range or one longer than `limit` days."""
    if last < first:
        raise ValueError(f"from={first} is after to={last}")
    count = (last - first).days + 1
    if count > limit:
        raise ValueError(f"from={first} to={last} is {count} days; a replay takes at most {limit}")
    return [first + timedelta(days=n) for n in range(count)]


def contiguous_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Sorted dates grouped into runs of consecutive days: [11-01, 11-02, 11-05] -> [(11-01, 11-02), (11-05, 11-05)]."""
    ranges: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == d:
            ranges[-1] = (ranges[-1][0], d)
        else:
            ranges.append((d, d))
    return ranges


def closed(day: date, now: datetime) -> bool:
    """Whether every window of `day` is final at `now` (a replay of a date still open would fence the running
    stream out of its windows: the replay's newer generation wins over the stream's later panes)."""
    return now >= datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo) + CLOSED_AFTER

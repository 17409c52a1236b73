"""The slot grid a `calendar` declaration describes (the default: a working week,
9:00 to 16:30 in half hours, without 12:00), for any family that reads one."""

from __future__ import annotations

from collections.abc import Sequence

from museslang.semantics.model import CalendarDef, ScenarioDef
from museslang.semantics.types import WEEKDAYS, SlotTime

DEFAULT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
DEFAULT_HOURS = (9, 10, 11, 13, 14, 15, 16)
DEFAULT_MINUTES = (0, 30)


def calendar_slots(
    days: Sequence[str] = DEFAULT_DAYS,
    hours: Sequence[int] = DEFAULT_HOURS,
    minutes: Sequence[int] = DEFAULT_MINUTES,
) -> list[SlotTime]:
    """Every slot of the grid in chronological order (70 for the default week)."""
    return sorted(
        SlotTime(WEEKDAYS.index(d), h, m)
        for d in set(days)
        for h in set(hours)
        for m in set(minutes)
    )


def scenario_calendar(sc: ScenarioDef) -> list[SlotTime]:
    cal = sc.calendar.entity if sc.calendar is not None else None
    if isinstance(cal, CalendarDef) and cal.days and cal.hours:
        return calendar_slots(cal.days, cal.hours, cal.minutes or [0])
    return calendar_slots()


def describe_calendar(slots: list[SlotTime]) -> str:
    days = sorted({s.day_index for s in slots})
    hours = sorted({s.hour for s in slots})
    minutes = sorted({s.minute for s in slots})
    day_names = [SlotTime(d, 0, 0).day for d in days]
    return (
        f"the calendar has {', '.join(day_names)} at {', '.join(map(str, hours))} h, "
        f"minutes {', '.join(f':{m:02d}' for m in minutes)}"
    )

"""The ticket workflow: which status may follow which, enforced here only."""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


# What agents read in the console: the citizen is spoken of, not to.
AGENT_STATUS_LABELS = {
    TicketStatus.NEW: "ثبت شده",
    TicketStatus.IN_PROGRESS: "در حال بررسی",
    TicketStatus.WAITING_FOR_CITIZEN: "در انتظار پاسخ شهروند",
    TicketStatus.RESOLVED: "انجام شده",
    TicketStatus.CLOSED: "بسته شده",
    TicketStatus.REOPENED: "بازگشایی شده",
}

# What the citizen reads in an SMS, addressed to them. The IVR speaks the
# same words from its own prompts (status/<status> in the prompt catalogue).
CITIZEN_STATUS_LABELS = {
    **AGENT_STATUS_LABELS,
    TicketStatus.WAITING_FOR_CITIZEN: "در انتظار پاسخ شما",
}

_WORKING = {
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_FOR_CITIZEN,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
}

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(_WORKING),
    TicketStatus.IN_PROGRESS: frozenset(_WORKING - {TicketStatus.IN_PROGRESS}),
    TicketStatus.WAITING_FOR_CITIZEN: frozenset(
        _WORKING - {TicketStatus.WAITING_FOR_CITIZEN}
    ),
    TicketStatus.REOPENED: frozenset(_WORKING),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.REOPENED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.REOPENED}),
}


class IllegalTransition(Exception):
    """A status change the workflow does not allow."""

    def __init__(self, current: str, target: str):
        super().__init__(f"ticket cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> TicketStatus:
    """Return target as a TicketStatus, or raise IllegalTransition."""
    try:
        source, goal = TicketStatus(current), TicketStatus(target)
    except ValueError:
        raise IllegalTransition(current, target) from None

    if goal not in TRANSITIONS[source]:
        raise IllegalTransition(current, target)
    return goal


def next_statuses(current: str) -> list[TicketStatus]:
    """The statuses an agent may choose next, in workflow order."""
    allowed = TRANSITIONS[TicketStatus(current)]
    return [status for status in TicketStatus if status in allowed]

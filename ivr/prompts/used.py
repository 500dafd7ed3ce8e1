"""Every prompt name the code plays, for the start-up check.

The menu file names its own prompts (ivr.menu checks them); the flows name
theirs in code, listed here. tests/ivr/test_prompts.py fails when a flow
names a prompt this list lacks, so a prompt removed from catalogue.yaml
stops `agi serve` at start-up instead of costing callers a silence.
"""

from __future__ import annotations

from ticketing.workflow import TicketStatus

# Named literally in ivr/flows/, ivr/call.py, ivr/choice.py, ivr/navigator.py.
FLOW_PROMPTS = frozenset(
    {
        "callback/already_registered",
        "callback/no_number",
        "callback/registered",
        "consultation/to_queue",
        "general/apology",
        "general/goodbye",
        "hours/closed_closure",
        "hours/closed_now",
        "hours/reopens_at",
        "hours/reopens_end",
        "hours/thursday_until",
        "hours/until",
        "hours/working_days_from",
        "hours/working_hours_end",
        "menu/invalid",
        "menu/last_invalid",
        "menu/last_timeout",
        "menu/next_closed",
        "menu/next_operator",
        "menu/timeout",
        "operator/to_queue",
        "request/call_again",
        "request/code_again",
        "request/enter_phone",
        "request/failed",
        "request/intro",
        "request/phone_invalid",
        "request/phone_saved",
        "request/registered",
        "request/status_at_office",
        "request/too_short",
        "request/your_code",
        "service_info/choose",
        "service_info/none",
        "status/changed_on",
        "status/code_wrong",
        "status/current",
        "status/enter_code",
        "status/enter_last_four",
        "status/no_code",
        "status/too_many_attempts",
        "status/unknown_code",
        "status/verify_failed",
    }
)


def code_prompt_names() -> set[str]:
    """FLOW_PROMPTS with the names the code builds: closed reasons, the
    next-step prompts, ticket statuses and the speech fragments."""
    from ivr.flows.consultation import CLOSED_REASONS
    from ivr.menu import AFTER_RETRIES_ACTIONS

    names = set(FLOW_PROMPTS)
    names |= {f"hours/closed_{reason}" for reason in CLOSED_REASONS}
    names |= {f"menu/next_{action}" for action in AFTER_RETRIES_ACTIONS}
    names |= {f"status/{status.value}" for status in TicketStatus}
    names |= {f"digit/{digit}" for digit in range(10)}
    names |= {f"month/{month}" for month in range(1, 13)}
    numbers = [*range(1, 20), *range(20, 100, 10), *range(100, 1000, 100), 1000]
    names |= {f"number/{number}" for number in numbers}
    names |= {"number/and", "time/minutes"}
    return names

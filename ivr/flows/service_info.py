"""Service information: the caller picks a service and hears its office
hours, required documents and where to do it online.

The services come from the catalogue in the database (an admin's file,
loaded with `callcenter catalogue load`); their prompts,
service/<code>/{menu,hours,documents,online}, are built from it by
`callcenter prompts build`.
"""

from __future__ import annotations

from ivr.call import CallContext
from ivr.choice import ask
from ivr.menu import AfterRetries
from ivr.navigator import after_last_retry, perform
from ticketing.catalogue import active_services
from ticketing.models import CallOutcome

SERVICE_PROMPTS = ("menu", "hours", "documents", "online")


def run(call: CallContext) -> str | None:
    call.ensure_answered()
    call.enter("service_info")
    with call.session() as session:
        services = {
            service.menu_key: service.code for service in active_services(session)
        }

    if not services:
        call.play("service_info/none")
        return "main"

    prompts = ["service_info/choose"]
    prompts += [f"service/{code}/menu" for code in services.values()]
    choice = ask(call, prompts, "".join(services))

    if choice.kind == "operator":
        return perform(call, "operator")
    if choice.kind == "exhausted":
        return perform(call, after_last_retry(call, AfterRetries(), choice.reason))

    code = services[choice.key]
    call.step("action", f"service:{code}")
    for part in SERVICE_PROMPTS[1:]:
        call.play(f"service/{code}/{part}")

    call.finish(CallOutcome.SELF_SERVED, f"service_info:{code}")
    return "after_service"

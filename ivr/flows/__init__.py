"""The call flows, one module each; the dialplan names them
(AGI(agi://host/<name>)) and dispatch() runs the one a call asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable

from callcenter.config import Settings
from callcenter.logs import call_logger
from ivr.agi.channel import Channel
from ivr.call import CallContext, run_flow
from ivr.flows import (
    call_ended,
    callback,
    consultation,
    leave_request,
    main,
    operator,
    queue_exit,
    service_info,
    status_lookup,
)
from ivr.menu import load_menu
from ivr.navigator import serve

logger = logging.getLogger(__name__)

Flow = Callable[[CallContext], str | None]

# What a menu option's action runs; each returns the next menu node or None.
ACTIONS: dict[str, Flow] = {
    "service_info": service_info.run,
    "consultation": consultation.run,
    "status_lookup": status_lookup.run,
    "leave_request": leave_request.run,
    "operator": operator.run,
    "callback": callback.run,
    "queue_again": queue_exit.queue_again,
}

# The entries the dialplan may name. call_ended is apart: it runs on a
# dead channel and only closes the call record.
FLOWS: dict[str, Flow] = {
    "main": main.run,
    "queue_exit": queue_exit.run,
    **ACTIONS,
}


def flow_name(channel: Channel) -> str:
    """'main' from agi://host/main, /path/main.py or main?x=y."""
    name = channel.script.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name.removesuffix(".py")


def dispatch(channel: Channel, settings: Settings | None = None) -> None:
    """Run the flow the call asked for; an unknown name gets the main menu."""
    name = flow_name(channel)
    if name == "call_ended":
        call_ended.handle(channel, settings)
        return

    entry = FLOWS.get(name)
    if entry is None:
        # A dialplan typo should not leave a caller in silence.
        call_logger(logger, channel.uniqueid).error(
            "no flow named %r; running the main menu", name
        )
        entry = main.run

    run_flow(channel, lambda call: serve(call, entry(call)), settings)


class StartupError(Exception):
    """The IVR cannot take calls with this configuration; says why."""


def startup_check(settings: Settings) -> None:
    """What `agi serve` checks before it takes calls.

    Stops start-up (an exception naming the problem) when a prompt the code
    or the menu file plays is not in the prompt catalogue, or the menu or
    holiday file is broken. Logs a WARNING when the holiday file does not
    cover this year or the next 60 days, and for every prompt without its
    WAV in settings.sounds_path (`callcenter prompts build` makes them).
    """
    from ivr.prompts import load_prompt_texts
    from ivr.prompts.build import PromptBuildError, missing_sound_files
    from ivr.prompts.used import code_prompt_names
    from ticketing.hours import check_holiday_coverage

    catalogue_path = settings.path(settings.prompt_text_file)
    names = set(load_prompt_texts(catalogue_path))
    lacking = sorted(code_prompt_names() - names)
    if lacking:
        raise StartupError(
            f"{catalogue_path}: prompts the IVR plays are missing from the "
            f"prompt catalogue: {', '.join(lacking)}"
        )

    menu = load_menu(settings.path(settings.menu_file), names)
    logger.info("menu %s: %d nodes", settings.menu_file, len(menu.nodes))

    check_holiday_coverage(settings)

    try:
        missing = missing_sound_files(settings)
    except PromptBuildError as error:
        logger.warning("service prompts not checked: %s", error)
        missing = missing_sound_files(settings, [])
    if missing:
        logger.warning(
            "%d prompts have no WAV in %s and would not be heard; run "
            "`callcenter prompts build`: %s",
            len(missing),
            settings.sounds_path,
            ", ".join(missing),
        )


# `callcenter agi serve` runs this before it accepts calls.
dispatch.startup_check = startup_check

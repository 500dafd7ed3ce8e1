"""Walks the menu tree: plays a node, reads the choice, follows gotos and
hands actions to their flows until the call is done."""

from __future__ import annotations

from callcenter.persian import normalize_digits
from ivr.call import CallContext
from ivr.choice import ask
from ivr.menu import get_menu
from ticketing.models import CallOutcome


def navigate(call: CallContext, node_id: str) -> str:
    """Run menu nodes from node_id until the caller picks an action."""
    menu = get_menu(call.settings)

    while True:
        node = menu.node(node_id)
        call.enter(node.id)
        intro = [] if node.id in call.intros_heard else node.intro
        call.intros_heard.add(node.id)
        choice = ask(
            call,
            node.prompts,
            node.keys,
            node.timeout,
            intro=intro,
            retries=node.retries,
            invalid_prompt=node.invalid_prompt,
            timeout_prompt=node.timeout_prompt,
        )

        if choice.kind == "operator":
            action = "operator"
        elif choice.kind == "exhausted":
            action = after_last_retry(call, node.after_retries, choice.reason)
        else:
            option = node.options[normalize_digits(choice.key)]
            if option.goto is not None:
                node_id = option.goto
                continue
            if option.action == "repeat":
                continue
            action = option.action

        call.step("action", action)
        return action


def after_last_retry(call: CallContext, after_retries, reason: str) -> str:
    """The action after the last try ran out, told to the caller first: what
    went wrong, why (the center is closed) and what happens now."""
    is_open = call.center_status().is_open
    action = after_retries.in_hours if is_open else after_retries.out_of_hours

    prompts = ["menu/last_invalid" if reason == "invalid" else "menu/last_timeout"]
    if not is_open and action != "goodbye":
        prompts.append("menu/next_closed")
    prompts.append(f"menu/next_{action}")
    call.play_all(prompts)
    return action


def serve(call: CallContext, node_id: str | None) -> None:
    """Menus and actions in turn until a flow ends the call (returns None)."""
    while node_id:
        action = navigate(call, node_id)
        node_id = perform(call, action)


def perform(call: CallContext, action: str) -> str | None:
    """Run the flow of an action; return the menu node to go to next."""
    if action == "goodbye":
        call.finish(CallOutcome.SELF_SERVED, call.node)
        call.goodbye()
        return None

    from ivr.flows import ACTIONS

    return ACTIONS[action](call)

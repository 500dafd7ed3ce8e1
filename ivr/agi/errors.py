"""Exceptions that mirror what Asterisk answers to an AGI command."""

from __future__ import annotations


class AgiError(Exception):
    """Asterisk answered in a way the command's caller must handle."""


class ChannelHungUp(AgiError):
    """The caller is gone: a hangup reply, a HANGUP line or end of input.

    reply is the reply that told us, when there was one; a hangup during
    RECORD FILE still carries how much audio was written (reply.endpos).
    """

    def __init__(self, message: str = "channel hung up", reply=None):
        super().__init__(message)
        self.reply = reply


class DeadChannel(ChannelHungUp):
    """511: the command is not permitted on a dead channel."""


class InvalidCommand(AgiError):
    """510: Asterisk does not know the command."""


class UsageError(AgiError):
    """520: the command's arguments were wrong; usage is Asterisk's text."""

    def __init__(self, usage: str):
        super().__init__(usage)
        self.usage = usage


class CommandFailed(AgiError):
    """200 result=-1 without a hangup: the application or command failed."""

"""Commands of the IVR for the `callcenter` CLI."""

from ivr.agi.cli import commands as agi_commands

commands = [*agi_commands]

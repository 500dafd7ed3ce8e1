"""Commands of this area for the `callcenter` CLI."""

commands = []

"""Commands of the AGI layer: the FastAGI server and the call simulator."""

commands = []

"""Asterisk Gateway Interface: replies, channels, the FastAGI server."""

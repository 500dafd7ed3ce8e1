"""Shared foundations: settings, Persian text, Jalali dates, logging, CLI."""

"""Tickets, calls and the service catalogue: models and the services on them."""

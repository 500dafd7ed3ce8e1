"""The service catalogue: a YAML file an admin edits, loaded into the database.

The IVR's information menu reads the active services from the database, so
a change to the file takes effect when `callcenter catalogue load` runs.
Services dropped from the file are deactivated, not deleted: old tickets
still name them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.persian import normalize_digits, normalize_text
from ticketing.datafile import DataFileError, Entry, read_entries, text_of
from ticketing.models import Service

logger = logging.getLogger(__name__)

REQUIRED = ("code", "menu_key", "name", "office_hours", "required_documents")
OPTIONAL = ("online_service", "online_url")
# Fields that may be a list, one item per line; the others are one text.
LIST_FIELDS = ("required_documents",)
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MENU_KEYS = "123456789"


class CatalogueError(DataFileError):
    """The catalogue file has problems; nothing was loaded."""


def _stored(text: str | list[str] | None) -> str:
    """A field as stored: a list (of documents) becomes one item per line."""
    if isinstance(text, list):
        return "\n".join(normalize_text(item) for item in text)
    return normalize_text(text)


def _check(path: Path, entry: Entry) -> tuple[dict[str, str], list[str]]:
    problems = []

    def problem(key: str, text: str) -> None:
        problems.append(f"{path}:{entry.line_of(key)}: {text}")

    for key in entry.values:
        if key not in REQUIRED and key not in OPTIONAL:
            problem(key, f"unknown field `{key}`")

    # Every field is spoken or shown as written, so each must be text: a
    # `key: value` (or a list where one is not expected) would be read out
    # as Python's notation of it.
    fields = {}
    for key in REQUIRED + OPTIONAL:
        if key not in entry.nodes:
            if key in REQUIRED:
                problem("", f"service is missing `{key}`")
            fields[key] = ""
            continue

        text, found = text_of(
            path,
            key,
            entry.nodes[key],
            list_allowed=key in LIST_FIELDS,
            line=entry.line_of(key),
        )
        problems.extend(found)
        fields[key] = _stored(text)
        if key in REQUIRED and not found and not fields[key]:
            problem(key, f"`{key}` is empty")

    fields["code"] = fields["code"].lower()
    fields["menu_key"] = normalize_digits(fields["menu_key"])

    if "code" in entry.values and fields["code"] and not CODE.match(fields["code"]):
        problem("code", "`code` must be latin letters, digits, - or _")
    if (
        "menu_key" in entry.values
        and fields["menu_key"]
        and (len(fields["menu_key"]) != 1 or fields["menu_key"] not in MENU_KEYS)
    ):
        problem(
            "menu_key", f"`menu_key` must be one of 1 to 9, not {fields['menu_key']!r}"
        )
    url = fields["online_url"]
    if url and not url.startswith(("https://", "http://")):
        problem("online_url", "`online_url` must start with https:// or http://")
    return fields, problems


def read_catalogue(path: str | Path) -> list[dict[str, str]]:
    """The services of the file, checked; CatalogueError lists every problem."""
    path = Path(path)
    try:
        entries, problems = read_entries(path, "services")
    except DataFileError as error:
        raise CatalogueError(error.problems) from None

    services = []
    seen_codes: dict[str, int] = {}
    seen_keys: dict[str, int] = {}
    for entry in entries:
        fields, found = _check(path, entry)
        problems.extend(found)

        for name, seen in (("code", seen_codes), ("menu_key", seen_keys)):
            value = fields[name]
            if not value:
                continue
            if value in seen:
                problems.append(
                    f"{path}:{entry.line_of(name)}: {name} {value!r} is already "
                    f"used on line {seen[value]}"
                )
            else:
                seen[value] = entry.line_of(name)
        services.append(fields)

    if not entries and not problems:
        problems.append(f"{path}: the catalogue lists no services")
    if problems:
        raise CatalogueError(problems)
    return services


def load_catalogue(session: Session, path: str | Path) -> list[Service]:
    """Upsert the file's services by code and deactivate the others.

    The file is checked whole before anything is written.
    """
    wanted = read_catalogue(path)
    existing = {service.code: service for service in session.scalars(select(Service))}

    loaded = []
    for position, fields in enumerate(wanted):
        service = existing.pop(fields["code"], None)
        if service is None:
            service = Service(code=fields["code"])
            session.add(service)
        for key, value in fields.items():
            setattr(service, key, value)
        service.position = position
        service.active = True
        loaded.append(service)

    for service in existing.values():
        if service.active:
            logger.info("catalogue: service %s deactivated", service.code)
        service.active = False

    session.flush()
    logger.info("catalogue: %d services loaded from %s", len(loaded), path)
    return loaded


def active_services(session: Session) -> list[Service]:
    """The services callers can choose, in the file's order."""
    query = (
        select(Service)
        .where(Service.active.is_(True))
        .order_by(Service.position, Service.menu_key)
    )
    return list(session.scalars(query))

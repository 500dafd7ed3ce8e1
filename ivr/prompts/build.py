"""Turn the prompt catalogue into WAV files Asterisk plays as they are.

Each prompt becomes <sounds_path>/<name>.wav, 8 kHz 16-bit mono, spoken by
espeak-ng's Persian voice and converted by sox. Beside it, <name>.wav.sha256
keeps a hash of what it was made from, so an unchanged prompt is not made
again. A file named <name>.<ext> in recorded_prompts_dir (a real voice)
replaces the generated one, converted to the same format. Generated prompts
are placeholders until a center records its own.

The recordings folder is data/recorded-prompts/ by default (its README says
how to name files); `callcenter prompts list` prints every prompt name with
its Persian text and whether a recording replaces it. A file there that
names no prompt is never played: the build names it, with the closest
prompt name, so a misspelt recording does not pass for a live one.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from callcenter.config import Settings
from callcenter.persian import normalize_text
from ivr.prompts import load_prompt_texts
from ticketing.catalogue import active_services
from ticketing.db import session_scope

logger = logging.getLogger(__name__)

VOICE = "fa"
_NAME = re.compile(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$")
# How a key is said in a service's menu prompt.
_KEY_WORDS = {
    "0": "صفر",
    "1": "یک",
    "2": "دو",
    "3": "سه",
    "4": "چهار",
    "5": "پنج",
    "6": "شش",
    "7": "هفت",
    "8": "هشت",
    "9": "نه",
}


class PromptBuildError(Exception):
    """A prompt could not be made; the message says which and why."""


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Files in the recordings folder no prompt uses (a whole build only).
    unused_recordings: list[UnusedRecording] = field(default_factory=list)


@dataclass(frozen=True)
class UnusedRecording:
    """A file in the recordings folder that no prompt plays."""

    path: Path  # relative to the recordings folder
    closest: str | None  # the prompt name it most likely meant
    shadowed_by: Path | None = None  # another file of that prompt, used instead

    def describe(self, recorded_dir: Path) -> str:
        where = recorded_dir / self.path
        if self.shadowed_by is not None:
            return (
                f"{where} is not used: {recorded_dir / self.shadowed_by} is the "
                f"recording of prompt {self.closest} (keep one file per prompt)"
            )
        if self.closest is not None:
            return (
                f"{where} matches no prompt and is not played; did you mean "
                f"{self.closest} (file {self.closest}{self.path.suffix})?"
            )
        return (
            f"{where} matches no prompt and is not played "
            "(`callcenter prompts list` names them all)"
        )


def service_prompt_texts(services: Iterable) -> dict[str, str]:
    """service/<code>/{menu,hours,documents,online} for catalogue services.

    services are Service rows or mappings with the same fields.
    """

    def read(service, name: str) -> str:
        if isinstance(service, dict):
            return str(service.get(name) or "")
        return str(getattr(service, name, "") or "")

    texts = {}
    for service in services:
        code, name = read(service, "code"), read(service, "name")
        key_word = _KEY_WORDS.get(read(service, "menu_key"), read(service, "menu_key"))
        hours = read(service, "office_hours") or "ساعات مراجعه اعلام نشده است."
        documents = read(service, "required_documents") or "مدرک خاصی لازم نیست."
        online = read(service, "online_service") or (
            "این خدمت به صورت اینترنتی ارائه نمی‌شود."
        )

        base = f"service/{code}"
        texts[f"{base}/menu"] = f"برای {name}، کلید {key_word} را بزنید."
        texts[f"{base}/hours"] = f"ساعات مراجعه برای {name}: {hours}"
        texts[f"{base}/documents"] = f"مدارک لازم: {documents}"
        texts[f"{base}/online"] = f"انجام اینترنتی: {online}"
    return {name: normalize_text(text) for name, text in texts.items()}


def _catalogue_services(settings: Settings) -> list[dict]:
    try:
        return _read_services(settings)
    except SQLAlchemyError as error:
        raise PromptBuildError(
            "cannot read the service catalogue from the database "
            f"({type(error.orig or error).__name__}): run `callcenter db upgrade` "
            "and `callcenter catalogue load`, or build with --no-services"
        ) from None


def _read_services(settings: Settings) -> list[dict]:
    with session_scope(settings.sqlalchemy_url) as session:
        return [
            {
                "code": service.code,
                "name": service.name,
                "menu_key": service.menu_key,
                "office_hours": service.office_hours,
                "required_documents": service.required_documents,
                "online_service": service.online_service,
            }
            for service in active_services(session)
        ]


def all_prompt_texts(
    settings: Settings, catalogue_services: Iterable | None = None
) -> dict[str, str]:
    """Prompt name -> Persian text: the catalogue file and the services'
    prompts (catalogue_services None reads the active ones from the database).
    """
    texts = load_prompt_texts(settings.path(settings.prompt_text_file))
    if catalogue_services is None:
        catalogue_services = _catalogue_services(settings)
    texts.update(service_prompt_texts(catalogue_services))
    return texts


def recorded_files(recorded_dir: Path, names: Iterable[str]) -> dict[str, Path]:
    """Prompt name -> the recording that replaces its generated WAV."""
    found = {}
    for name in names:
        recorded = _recorded_file(recorded_dir, name)
        if recorded is not None:
            found[name] = recorded
    return found


def unused_recordings(
    recorded_dir: Path, names: Iterable[str]
) -> list[UnusedRecording]:
    """Files under recorded_dir that no prompt of names plays, each with the
    closest prompt name (difflib). README files and dot files are skipped."""
    if not recorded_dir.is_dir():
        return []
    names = sorted(set(names))
    used = recorded_files(recorded_dir, names)
    used_paths = set(used.values())

    unused = []
    for path in sorted(recorded_dir.rglob("*")):
        relative = path.relative_to(recorded_dir)
        if not path.is_file() or path in used_paths:
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.upper().startswith("README"):
            continue

        meant = (relative.parent / relative.stem).as_posix()
        if meant in used:
            shadow = used[meant].relative_to(recorded_dir)
            unused.append(UnusedRecording(relative, meant, shadow))
            continue
        close = difflib.get_close_matches(meant, names, n=1, cutoff=0.6)
        unused.append(UnusedRecording(relative, close[0] if close else None))
    return unused


def build_prompts(
    settings: Settings,
    catalogue_services: Iterable | None = None,
    *,
    only: Iterable[str] | None = None,
) -> BuildReport:
    """Make every prompt's WAV that is missing or out of date.

    catalogue_services None reads the active services from the database;
    only limits the build to the named prompts.
    """
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptBuildError(f"{tool} is not installed (apt install {tool})")

    texts = all_prompt_texts(settings, catalogue_services)
    recorded_dir = settings.path(settings.recorded_prompts_dir)
    report = BuildReport()
    if only is None:
        # Only a whole build knows every name a recording may mean.
        report.unused_recordings = unused_recordings(recorded_dir, texts)
    else:
        wanted = set(only)
        unknown = wanted - set(texts)
        if unknown:
            raise PromptBuildError(f"no such prompts: {', '.join(sorted(unknown))}")
        texts = {name: text for name, text in texts.items() if name in wanted}

    for name in texts:
        if not _NAME.match(name):
            raise PromptBuildError(f"prompt name {name!r} is not a safe file name")

    target_dir = settings.sounds_path

    def make(item: tuple[str, str]) -> tuple[str, str]:
        name, text = item
        return name, _make_one(name, text, target_dir, recorded_dir)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for name, result in pool.map(make, sorted(texts.items())):
            getattr(report, result).append(name)

    logger.info(
        "prompts: %d built, %d from recordings, %d unchanged, in %s",
        len(report.built),
        len(report.recorded),
        len(report.unchanged),
        target_dir,
    )

    return report


def build_service_prompts(settings: Settings, services: Iterable) -> BuildReport:
    """Build the prompts of these services only (after `catalogue load`),
    so a new service speaks to callers at once."""
    services = list(services)
    names = service_prompt_texts(services)
    return build_prompts(settings, services, only=names)


def missing_sound_files(
    settings: Settings, services: Iterable | None = None
) -> list[str]:
    """Prompts of the catalogue and of the services (None: the active ones
    in the database) that have no WAV in settings.sounds_path: Asterisk
    would skip them in silence.

    Raises PromptBuildError if the services cannot be read."""
    names = set(load_prompt_texts(settings.path(settings.prompt_text_file)))
    if services is None:
        services = _catalogue_services(settings)
    names |= set(service_prompt_texts(services))
    target_dir = settings.sounds_path
    return sorted(name for name in names if not (target_dir / f"{name}.wav").is_file())


def _recorded_file(recorded_dir: Path, name: str) -> Path | None:
    folder = recorded_dir / Path(name).parent
    if not folder.is_dir():
        return None
    stem = Path(name).name
    for candidate in sorted(folder.iterdir()):
        if candidate.is_file() and candidate.stem == stem:
            return candidate
    return None


def _make_one(name: str, text: str, target_dir: Path, recorded_dir: Path) -> str:
    """Build one prompt; return 'built', 'recorded' or 'unchanged'."""
    target = target_dir / f"{name}.wav"
    stamp = target_dir / f"{name}.wav.sha256"
    recorded = _recorded_file(recorded_dir, name)

    if recorded is not None:
        source = "recorded:" + hashlib.sha256(recorded.read_bytes()).hexdigest()
    else:
        source = f"espeak-ng:{VOICE}:" + text
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()

    if target.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return "unchanged"

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prompt-") as scratch:
        if recorded is not None:
            spoken = recorded
        else:
            spoken = Path(scratch) / "spoken.wav"
            _run(["espeak-ng", "-v", VOICE, "-w", str(spoken), "--stdin"], name, text)
        converted = Path(scratch) / "out.wav"
        _run(
            [
                "sox",
                str(spoken),
                "-r",
                "8000",
                "-b",
                "16",
                "-c",
                "1",
                "-e",
                "signed-integer",
                str(converted),
            ],
            name,
        )
        # Asterisk may be reading the old file: swap the new one in whole.
        shutil.move(str(converted), str(target.with_suffix(".wav.new")))
        os.replace(target.with_suffix(".wav.new"), target)

    stamp.write_text(digest + "\n")
    return "recorded" if recorded is not None else "built"


def _run(command: list[str], name: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        command,
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        problem = result.stderr.decode("utf-8", "replace").strip()
        raise PromptBuildError(f"prompt {name}: {command[0]} failed: {problem}")

"""Every setting of the call center, with its default, in one place.

Settings are read in three layers, each overriding the one before:

1. the defaults below;
2. a TOML file, named by ``CALLCENTER_CONFIG`` (or ``callcenter.toml`` in the
   working directory when that exists), with the same keys at its top level;
3. environment variables ``CALLCENTER_<KEY>`` in upper case, for example
   ``CALLCENTER_DATABASE_URL``.

Secrets (``secret_key``) belong in the environment or in a file outside the
repository, never in the TOML file that is committed with a deployment.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import secrets
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "CALLCENTER_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the product cannot use."""


@dataclass(frozen=True)
class Settings:
    # Where the product keeps its own files (SQLite database, recordings,
    # generated prompts, the web secret) when nothing else is named.
    data_dir: str = "var"

    # SQLAlchemy URL. Empty means a SQLite file in data_dir, the embedded
    # default for a first try; production uses
    # postgresql+psycopg://user@host/dbname.
    database_url: str = ""

    # Redis for the rq job queue (recording moves, notifications).
    redis_url: str = "redis://127.0.0.1:6379/0"
    rq_queue: str = "callcenter"

    # How long a failed job waits before each retry, in whole seconds,
    # comma separated: "30,120,600" is three retries, the first after 30 s.
    # Empty means no retry. An SMS gateway gets minutes to come back; a
    # recording job that failed on its file (a spool share's I/O error,
    # sox) gets a minute. A file not yet there is no failure: see
    # ticketing/jobs.py.
    notification_retry_seconds: str = "30,120,600"
    recording_retry_seconds: str = "10,60"

    # The FastAGI server; the dialplan calls AGI(agi://host:port/<flow>).
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # The callable that serves each AGI call ("module:attribute"), used by
    # the FastAGI server and agi_scripts/ivr.py; tests point it at their own.
    agi_handler: str = "ivr.flows:dispatch"

    # Asterisk Manager Interface, for placing calls (demo, callbacks).
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "callcenter"
    ami_secret: str = ""

    # The SIP port of the Asterisk that the product starts itself from the
    # sandbox root (the demo, `callcenter sandbox start`); with ami_port it
    # is written into that Asterisk's configuration. A real Asterisk keeps
    # its own in pjsip.conf: the product never speaks SIP.
    sip_port: int = 5060

    # Data files an admin edits: the menu tree, the service catalogue and
    # the Jalali holiday list. Relative paths are taken from the project root.
    menu_file: str = "ivr/menus/main.yaml"
    catalogue_file: str = "data/services.yaml"
    holidays_file: str = "data/holidays.yaml"

    # Prompts. prompt_text_file is the Persian prompt catalogue; generated
    # WAV files go to sounds_dir; a file of the same name in
    # recorded_prompts_dir replaces the generated one. sound_prefix is how
    # Asterisk names that folder, relative to its own sounds directory.
    prompt_text_file: str = "ivr/prompts/catalogue.yaml"
    sounds_dir: str = ""
    recorded_prompts_dir: str = "data/recorded-prompts"
    sound_prefix: str = "callcenter/fa"

    # Voice messages. Asterisk writes them to recording_spool_dir (a path as
    # Asterisk sees it); this process reads the same folder as
    # recording_spool_local_dir (they differ when Asterisk runs in a chroot
    # or container). The worker moves them to recordings_dir.
    recording_spool_dir: str = "/var/spool/asterisk/callcenter"
    recording_spool_local_dir: str = ""
    recordings_dir: str = ""
    max_recording_seconds: int = 120
    min_recording_seconds: float = 1.0
    # Of those, how much must be voice (not silence or line noise) for the
    # message to become a ticket; checked when this process can read the
    # spool folder, otherwise the length alone decides.
    min_voice_seconds: float = 0.5
    recording_silence_seconds: int = 6

    # Business hours, HH:MM in Tehran time (the product's only time zone).
    # Saturday to Wednesday are work days; Thursday is a half day only when
    # thursday_open is true.
    opening_time: str = "07:30"
    closing_time: str = "14:30"
    thursday_open: bool = False
    thursday_closing_time: str = "12:00"

    # Asterisk queues that the IVR hands calls to.
    consultation_queue: str = "consultation"
    operator_queue: str = "operator"

    # Menus: how long to wait for a key, and how many tries a caller gets.
    menu_timeout_seconds: int = 6
    menu_retries: int = 3
    status_max_attempts: int = 3

    # Web console.
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    secret_key: str = ""

    # SMS to citizens about their requests. office_name signs each text.
    # sms_gateway names a factory "module:callable", called with these
    # settings, that returns an object with send(phone, text) (see
    # ticketing.notifications.Gateway); empty means no gateway: the
    # notifications are recorded as no_gateway and nothing is sent.
    office_name: str = "مرکز تماس اداره"
    sms_gateway: str = ""

    log_level: str = "INFO"

    # Derived paths -------------------------------------------------------

    def path(self, value: str) -> Path:
        """Resolve a configured path; relative ones start at the project root."""
        candidate = Path(value).expanduser()
        if candidate.is_absolute():
            return candidate
        return PROJECT_ROOT / candidate

    @property
    def data_path(self) -> Path:
        return self.path(self.data_dir)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_path / 'callcenter.db'}"

    @property
    def sounds_path(self) -> Path:
        if self.sounds_dir:
            return self.path(self.sounds_dir)
        return self.data_path / "sounds" / self.sound_prefix

    @property
    def recordings_path(self) -> Path:
        if self.recordings_dir:
            return self.path(self.recordings_dir)
        return self.data_path / "recordings"

    @property
    def spool_local_path(self) -> Path:
        return Path(self.recording_spool_local_dir or self.recording_spool_dir)

    @property
    def notification_retry_intervals(self) -> tuple[int, ...]:
        return retry_intervals("notification_retry_seconds", self)

    @property
    def recording_retry_intervals(self) -> tuple[int, ...]:
        return retry_intervals("recording_retry_seconds", self)

    def web_secret(self) -> str:
        """The session-signing key: from settings, else a file in data_dir.

        The file is made once with a random key so that a newcomer's console
        works without setup and sessions survive restarts.
        """
        if self.secret_key:
            return self.secret_key

        key_file = self.data_path / "secret_key"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            # Created with its mode, so no other user reads it for a moment.
            handle = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_key(key_file)
        with os.fdopen(handle, "w") as out:
            out.write(key)
        return key


def _read_key(key_file: Path) -> str:
    """The key another process wrote; it may still be writing it."""
    for _ in range(50):
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigError(f"{key_file}: empty secret key file")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}

# Settings that hold a clock time of day, HH:MM.
CLOCK_SETTINGS = ("opening_time", "closing_time", "thursday_closing_time")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# Settings that list the waits before a job's retries, in seconds. A wait
# longer than a day is a typo more likely than a plan.
RETRY_SETTINGS = ("notification_retry_seconds", "recording_retry_seconds")
MAX_RETRY_SECONDS = 86400


def _coerce(name: str, raw: object) -> object:
    value = _coerce_kind(name, raw)
    if name.endswith("_port") and not (type(value) is int and 1 <= value <= 65535):
        raise ConfigError(f"{name}: expected a port number 1-65535, got {raw!r}")
    return value


def _coerce_kind(name: str, raw: object) -> object:
    kind = _FIELDS[name].type
    if not isinstance(raw, str):
        # A TOML value of the wrong kind (agi_port = 1.5) is refused here,
        # not when a server first uses it.
        if kind == "int" and type(raw) is not int:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}")
        return raw

    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None

    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    return raw


def load_settings(
    environ: dict[str, str] | None = None, config_file: str | None = None
) -> Settings:
    """Build settings from defaults, the TOML file and the environment."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}

    path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if not path and Path("callcenter.toml").exists():
        path = "callcenter.toml"
    if path:
        try:
            with open(path, "rb") as handle:
                from_file = tomllib.load(handle)
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from None

        unknown = sorted(set(from_file) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"{path}: unknown settings {', '.join(unknown)}")
        values.update(from_file)

    for name in _FIELDS:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            values[name] = environ[key]

    coerced = {name: _coerce(name, raw) for name, raw in values.items()}
    settings = Settings(**coerced)
    _check_clocks(settings)
    _check_retries(settings)
    return settings


def _check_clocks(settings: Settings) -> None:
    """HH:MM settings are checked at start-up, not first used mid-call."""
    from callcenter.persian import normalize_digits

    for name in CLOCK_SETTINGS:
        value = getattr(settings, name)
        if isinstance(value, dt.time):
            continue  # a TOML time literal: opening_time = 07:30
        if not isinstance(value, str) or not _CLOCK.match(normalize_digits(value)):
            raise ConfigError(f"{name}: expected HH:MM (e.g. 07:30), got {value!r}")


def retry_intervals(name: str, settings: Settings) -> tuple[int, ...]:
    """A *_retry_seconds setting as seconds, one per retry.

    Read from the settings each time, not once at load: settings built
    with dataclasses.replace (as tests do) skip load_settings.
    """
    from callcenter.persian import normalize_digits

    value = getattr(settings, name)
    if isinstance(value, str):
        # Persian or Arabic digits and the Persian comma are welcome.
        text = normalize_digits(value).replace("\u060c", ",").strip()
        parts = [part.strip() for part in text.split(",")] if text else []
    elif isinstance(value, (list, tuple)):
        parts = list(value)  # a TOML array: [30, 120, 600]
    else:
        parts = [value]

    seconds = []
    for part in parts:
        written = isinstance(part, str) and part.isascii() and part.isdigit()
        if isinstance(part, bool) or not (isinstance(part, int) or written):
            raise ConfigError(
                f"{name}: expected whole seconds separated by commas "
                f"(e.g. 30,120,600), got {value!r}"
            )
        number = int(part)
        if not 1 <= number <= MAX_RETRY_SECONDS:
            raise ConfigError(
                f"{name}: each wait must be 1 to {MAX_RETRY_SECONDS} s, "
                f"got {number} in {value!r}"
            )
        seconds.append(number)
    return tuple(seconds)


def _check_retries(settings: Settings) -> None:
    """Retry waits are checked at start-up, not when a job first fails."""
    for name in RETRY_SETTINGS:
        retry_intervals(name, settings)


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings of this process, read once."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def use_settings(settings: Settings | None) -> None:
    """Replace this process's settings (tests, CLI options); None re-reads."""
    global _current
    _current = settings


__all__ = [
    "ConfigError",
    "Settings",
    "get_settings",
    "load_settings",
    "use_settings",
]

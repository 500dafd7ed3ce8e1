"""A real Asterisk 22 in a Debian sid root, for end-to-end tests and the demo.

Debian 12 has no Asterisk package, so the sandbox is a separate root built
with debootstrap (kept in a cache folder and reused), with the project's
deploy/asterisk/ installed as its configuration. Asterisk runs chrooted as
the root's own `asterisk` user and shares the host's network: AMI on
127.0.0.1, and the dialplan reaches the FastAGI server on the host.

Everything started here is stopped by its pid, never by name. A file lock
beside the root keeps two runs from starting two Asterisks on one root.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from callcenter.config import PROJECT_ROOT

logger = logging.getLogger(__name__)

DEPLOY_DIR = PROJECT_ROOT / "deploy" / "asterisk"
DEFAULT_ROOT = Path.home() / ".cache" / "callcenter" / "asterisk-sid"
PACKAGES = "asterisk,asterisk-core-sounds-en-wav"

# Folders Asterisk writes to, made the root's asterisk user's (its numeric
# id means another user on the host, so chown runs inside the root).
ASTERISK_OWNED = (
    "/etc/asterisk",
    "/var/lib/asterisk",
    "/var/log/asterisk",
    "/var/spool/asterisk",
    "/run/asterisk",
)


class SandboxError(Exception):
    """The sandbox cannot be built, started or stopped; the message says why."""


def default_root() -> Path:
    return Path(os.environ.get("CALLCENTER_SANDBOX_ROOT") or DEFAULT_ROOT)


def _run(args: list[str], timeout: float = 60, check: bool = True) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise SandboxError(f"{args[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise SandboxError(f"{' '.join(args)} took over {timeout} s") from None

    if check and done.returncode != 0:
        output = (done.stderr or done.stdout).strip()[-2000:]
        raise SandboxError(f"{' '.join(args)} failed ({done.returncode}): {output}")
    return done.stdout


def _scratch_file(beside: Path, suffix: str) -> Path:
    """A new empty file of this run only, in beside's folder (so a rename
    onto beside is atomic); sox reads the format from the suffix."""
    handle, path = tempfile.mkstemp(
        prefix=f".{beside.stem}.", suffix=suffix, dir=beside.parent
    )
    os.close(handle)
    return Path(path)


class AsteriskSandbox:
    """One Asterisk root: build, configure, start, stop.

    Used as a context manager it holds the root's lock, starts Asterisk and
    stops it (and unmounts proc) on the way out.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        deploy_dir: str | Path = DEPLOY_DIR,
        agi_server: str = "127.0.0.1:4573",
        ami_port: int = 5038,
        sip_port: int = 5060,
        extra_dialplan: str | Path | None = None,
    ) -> None:
        self.root = Path(root) if root else default_root()
        self.deploy_dir = Path(deploy_dir)
        self.agi_server = agi_server
        self.ami_port = ami_port
        self.sip_port = sip_port
        self.extra_dialplan = extra_dialplan
        self.ami_secret = ""
        self.pid: int | None = None
        self._lock_handle = None

    # Paths, as the host sees them ------------------------------------------

    @property
    def etc_dir(self) -> Path:
        return self.root / "etc" / "asterisk"

    @property
    def sounds_dir(self) -> Path:
        """Where the Persian prompts go (CALLCENTER_SOUNDS_DIR)."""
        return self.root / "usr/share/asterisk/sounds/callcenter/fa"

    @property
    def spool_dir(self) -> Path:
        """Recordings, as the host reads them (recording_spool_local_dir)."""
        return self.root / "var/spool/asterisk/callcenter"

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "asterisk" / "asterisk.pid"

    @property
    def owner_file(self) -> Path:
        """Who started the running Asterisk, when they said (start's owner)."""
        return self.root / "run" / "asterisk" / "started-by"

    @property
    def lock_file(self) -> Path:
        return self.root.parent / f"{self.root.name}.lock"

    def is_built(self) -> bool:
        return (self.root / "usr" / "sbin" / "asterisk").exists()

    def settings_environ(self) -> dict[str, str]:
        """CALLCENTER_* variables that point the product at this sandbox."""
        host, _, port = self.agi_server.rpartition(":")
        return {
            # Not a setting: the sandbox commands read it (default_root), so
            # `sandbox call` in another shell finds this very root.
            "CALLCENTER_SANDBOX_ROOT": str(self.root),
            "CALLCENTER_SOUNDS_DIR": str(self.sounds_dir),
            "CALLCENTER_RECORDING_SPOOL_DIR": "/var/spool/asterisk/callcenter",
            "CALLCENTER_RECORDING_SPOOL_LOCAL_DIR": str(self.spool_dir),
            "CALLCENTER_AGI_HOST": host,
            "CALLCENTER_AGI_PORT": port,
            "CALLCENTER_AMI_HOST": "127.0.0.1",
            "CALLCENTER_AMI_PORT": str(self.ami_port),
            "CALLCENTER_AMI_USERNAME": "callcenter",
            "CALLCENTER_AMI_SECRET": self.ami_secret,
        }

    # Build -----------------------------------------------------------------

    def build(self, timeout: float = 900) -> None:
        """Debootstrap the root once; an existing one is reused."""
        if self.is_built():
            logger.info("sandbox %s: reusing the built root", self.root)
            return

        staging = self.root.with_name(self.root.name + ".tmp")
        if staging.exists():
            # A build that died half way; proc may still be mounted in it.
            self._unmount(staging / "proc")
            shutil.rmtree(staging)
        staging.parent.mkdir(parents=True, exist_ok=True)

        logger.info("sandbox %s: debootstrap sid (about a minute)", self.root)
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={PACKAGES}",
                "sid",
                str(staging),
            ],
            timeout=timeout,
        )
        if not (staging / "usr" / "sbin" / "asterisk").exists():
            raise SandboxError(f"debootstrap left no asterisk in {staging}")
        staging.rename(self.root)

    # Configure ---------------------------------------------------------------

    def install_configs(self, extra_dialplan: str | Path | None = None) -> None:
        """Replace Debian's configuration with deploy/asterisk/.

        Writes a fresh AMI secret and agent-phone passwords (never in the
        repository), points AGI_SERVER, AMI and SIP at this sandbox's ports
        on loopback, and installs extra_dialplan (a Path, or the text itself) as
        extensions_extra.conf, which extensions.conf includes.
        """
        if not self.is_built():
            raise SandboxError(f"no Asterisk root at {self.root}; build it first")

        debian_copy = self.etc_dir.with_name("asterisk.debian")
        if not debian_copy.exists():
            shutil.copytree(self.etc_dir, debian_copy, symlinks=True)
        shutil.rmtree(self.etc_dir)
        shutil.copytree(
            self.deploy_dir,
            self.etc_dir,
            ignore=shutil.ignore_patterns("*.sample", "*.md", "pjsip.d", "manager.d"),
        )
        (self.etc_dir / "pjsip.d").mkdir()
        (self.etc_dir / "manager.d").mkdir()

        self._rewrite(
            "extensions.conf",
            r"(?m)^AGI_SERVER = .*$",
            f"AGI_SERVER = {self.agi_server}",
        )
        self._rewrite("manager.conf", r"(?m)^port = \d+$", f"port = {self.ami_port}")
        self._rewrite(
            "pjsip.conf",
            r"(?m)^bind = .*$",
            f"bind = 127.0.0.1:{self.sip_port}",
        )

        self.ami_secret = secrets.token_hex(16)
        self._write_private(
            "manager.d/callcenter-secret.conf", f"secret = {self.ami_secret}\n"
        )
        self._write_private("pjsip.d/agents-auth.conf", _agent_auth_sections())

        if extra_dialplan is None:
            extra_dialplan = self.extra_dialplan
        if isinstance(extra_dialplan, Path):
            extra_dialplan = extra_dialplan.read_text()
        (self.etc_dir / "extensions_extra.conf").write_text(extra_dialplan or "")

    def _rewrite(self, name: str, pattern: str, replacement: str) -> None:
        path = self.etc_dir / name
        text, count = re.subn(pattern, replacement, path.read_text(), count=1)
        if count != 1:
            raise SandboxError(f"{path}: no line matches {pattern!r}")
        path.write_text(text)

    def _write_private(self, name: str, text: str) -> None:
        path = self.etc_dir / name
        path.write_text(text)
        path.chmod(0o600)

    def prepare_dirs(self) -> None:
        """Folders for prompts, recordings and the pid file, owned right."""
        for folder in (self.sounds_dir, self.spool_dir, self.root / "run/asterisk"):
            folder.mkdir(parents=True, exist_ok=True)
        self.sounds_dir.chmod(0o755)
        _run(
            [
                "chroot",
                str(self.root),
                "chown",
                "-R",
                "asterisk:asterisk",
                *ASTERISK_OWNED,
            ]
        )

    # Run ---------------------------------------------------------------------

    def acquire_lock(self, wait_seconds: float = 600) -> None:
        """Hold the root's lock; another holder is waited for, then an error."""
        if self._lock_handle is not None:
            return
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_file, "a+")  # noqa: SIM115 - held until release
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise SandboxError(
                        f"{self.lock_file} is held by another run for over "
                        f"{wait_seconds:.0f} s"
                    ) from None
                time.sleep(1)
        self._lock_handle = handle

    def release_lock(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def running_pid(self) -> int | None:
        """The pid of this root's Asterisk, if one runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            command = Path(f"/proc/{pid}/comm").read_text().strip()
            root_link = os.readlink(f"/proc/{pid}/root")
        except OSError:
            return None

        # A stale pid file may name a pid the system gave to someone else.
        if command != "asterisk" or Path(root_link) != self.root.resolve():
            return None
        return pid

    def start(
        self,
        extra_dialplan: str | Path | None = None,
        boot_timeout: float = 60,
        *,
        owner: str = "",
    ) -> int:
        """Build if needed, install the configs, start Asterisk; its pid.

        owner says who started it and how they stop it (the demo: "make
        stop"); a later start on this root that finds it running says so.
        """
        self.acquire_lock()
        pid = self.running_pid()
        if pid is not None:
            raise SandboxError(
                f"Asterisk already runs on {self.root} (pid {pid}); "
                f"{self._stop_hint(pid)}"
            )

        self.build()
        self.install_configs(extra_dialplan)
        self.prepare_dirs()
        self.pid_file.unlink(missing_ok=True)
        self.owner_file.unlink(missing_ok=True)
        self._mount_proc()

        _run(
            [
                "chroot",
                str(self.root),
                "/usr/sbin/asterisk",
                "-U",
                "asterisk",
                "-G",
                "asterisk",
            ]
        )
        try:
            self.wait_fully_booted(boot_timeout)
        finally:
            # Ours from here on, booted or not, so that stop() ends it.
            self.pid = self.running_pid()
        pid = self.pid
        if pid is None:
            raise SandboxError(f"Asterisk started but left no pid in {self.pid_file}")
        if owner:
            self.owner_file.write_text(f"{pid}\n{owner}\n")
        logger.info("sandbox %s: Asterisk pid %s fully booted", self.root, pid)
        return pid

    def _stop_hint(self, pid: int) -> str:
        """How to stop the running Asterisk: its owner's note if it names
        this pid (an older note may name an earlier Asterisk)."""
        try:
            noted_pid, _, owner = self.owner_file.read_text().partition("\n")
        except OSError:
            noted_pid, owner = "", ""
        if noted_pid.strip() == str(pid) and owner.strip():
            return f"it was started by {owner.strip()}"
        return "stop it first (callcenter sandbox stop)"

    def wait_fully_booted(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            try:
                self.cli(
                    "core waitfullybooted", timeout=max(1, deadline - time.monotonic())
                )
                return
            except SandboxError as error:
                last_error = str(error)
                time.sleep(0.5)
        log = self.root / "var/log/asterisk/messages.log"
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        raise SandboxError(
            f"Asterisk did not boot within {timeout:.0f} s: {last_error}\n{tail}"
        )

    def cli(self, command: str, timeout: float = 15) -> str:
        """Run one Asterisk CLI command in the running sandbox."""
        return _run(
            ["chroot", str(self.root), "/usr/sbin/asterisk", "-rx", command],
            timeout=timeout,
        )

    def stop(self, timeout: float = 30, *, only_ours: bool = False) -> None:
        """Stop the root's Asterisk by the pid its pid file names (checked to
        be an Asterisk chrooted in this root), wait for it, unmount proc.

        With only_ours, an Asterisk that this object did not start (another
        run's, say) is left alone, and so is its proc mount.
        """
        pid = self.running_pid()
        ours = pid is not None and (not only_ours or pid == self.pid)
        if ours:
            logger.info("sandbox %s: stopping Asterisk pid %s", self.root, pid)
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, timeout):
                logger.warning("sandbox: Asterisk pid %s ignored SIGTERM; killing", pid)
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 10)
        self.pid = None
        if ours or pid is None:
            self._unmount(self.root / "proc")
        self.release_lock()

    def make_speech(self, text: str, name: str, voice: str = "fa") -> float:
        """Synthesize text into sounds/<name>.wav (8 kHz mono), for a scripted
        caller to Playback; returns its length in seconds."""
        target = self.root / "usr/share/asterisk/sounds" / f"{name}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)

        # Parallel runs may make the same name: each works in files of its
        # own and swaps the result in whole, so Asterisk never plays half a
        # file. The last run's text wins.
        raw = _scratch_file(target, ".espeak.wav")
        converted = _scratch_file(target, ".8k.wav")
        try:
            _run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(raw), text])
            _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(converted)])
            seconds = float(_run(["soxi", "-D", str(converted)]).strip())
            converted.chmod(0o644)
            os.replace(converted, target)
        finally:
            raw.unlink(missing_ok=True)
            converted.unlink(missing_ok=True)
        return seconds

    def status(self) -> str:
        if not self.is_built():
            return f"{self.root}: not built"
        pid = self.running_pid()
        if pid is None:
            return f"{self.root}: built, Asterisk not running"
        return f"{self.root}: Asterisk running, pid {pid}"

    def _mount_proc(self) -> None:
        proc = self.root / "proc"
        if not os.path.ismount(proc):
            _run(["mount", "-t", "proc", "proc", str(proc)])

    @staticmethod
    def _unmount(path: Path) -> None:
        if os.path.ismount(path):
            _run(["umount", str(path)])

    def __enter__(self) -> AsteriskSandbox:
        try:
            self.start()
        except BaseException:
            self.stop(only_ours=True)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop(only_ours=True)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.1)
    return False


def _agent_auth_sections() -> str:
    sections = []
    for phone in ("101", "102", "103"):
        sections.append(
            f"[{phone}-auth]\ntype = auth\nauth_type = userpass\n"
            f"username = {phone}\npassword = {secrets.token_hex(16)}\n"
        )
    return "\n".join(sections)

"""A small Asterisk Manager Interface client, on the asterisk-ami package.

It logs in, places calls with Originate, and lets a caller wait for events
(a channel's Hangup, FullyBooted). The demo, the end-to-end tests and, later,
callbacks and the wallboard build on it.

asterisk-ami reads its socket with the connect timeout, so a quiet manager
link would end its reader thread after a few seconds; AmiClient connects
with a timeout and then reads without one, and keeps every event it sees
so that a waiter cannot miss one that came first.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping

from asterisk.ami import AMIClient, SimpleAction
from asterisk.ami.event import Event

from callcenter.config import Settings, get_settings

logger = logging.getLogger(__name__)

# Events kept for waiters; older ones are dropped first.
EVENT_MEMORY = 5000


class AmiError(Exception):
    """The manager refused an action, or did not answer in time."""


class _Client(AMIClient):
    def connect(self) -> None:
        super().connect()
        # Connected: from now on the reader thread may wait for as long as
        # the manager stays quiet.
        self._socket.settimeout(None)

    def disconnect(self) -> None:
        self.finished.set()
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(self._timeout)


class AmiClient:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "callcenter",
        secret: str = "",
        timeout: float = 10,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.timeout = timeout
        # Every event seen, numbered from 0 (the oldest may be dropped).
        self.events: list[tuple[int, Event]] = []
        self._next_seq = 0
        self._events_changed = threading.Condition()
        self._client: _Client | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AmiClient:
        settings = settings or get_settings()
        return cls(
            settings.ami_host,
            settings.ami_port,
            settings.ami_username,
            settings.ami_secret,
        )

    # Session ---------------------------------------------------------------

    def connect(self) -> AmiClient:
        """Connect and log in; raises AmiError with the manager's message."""
        if not self.secret:
            raise AmiError("no AMI secret: set CALLCENTER_AMI_SECRET")

        client = _Client(address=self.host, port=self.port, timeout=self.timeout)
        client.add_event_listener(self._on_event)
        try:
            future = client.login(username=self.username, secret=self.secret)
        except OSError as error:
            raise AmiError(
                f"cannot reach AMI at {self.host}:{self.port}: {error}"
            ) from None

        self._client = client
        response = future.response
        if response is None or response.is_error():
            self.close()
            message = response.keys.get("Message", "") if response else "no answer"
            raise AmiError(f"AMI login as {self.username} refused: {message}")
        logger.info("ami %s:%s: logged in as %s", self.host, self.port, self.username)
        return self

    def close(self) -> None:
        """Log off (when still connected) and close the socket."""
        client, self._client = self._client, None
        if client is None:
            return
        if not client.finished.is_set():
            with contextlib.suppress(OSError):
                client.logoff().response  # noqa: B018 - waits for Goodbye
        client.disconnect()

    def __enter__(self) -> AmiClient:
        return self.connect()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # Actions -----------------------------------------------------------------

    def action(self, name: str, variables: Mapping[str, str] | None = None, **keys):
        """Send one action and return its response; errors raise AmiError."""
        if self._client is None:
            raise AmiError("not connected")
        action = SimpleAction(name, **keys)
        if variables:
            action.variables = dict(variables)

        response = self._client.send_action(action).response
        if response is None:
            raise AmiError(f"AMI {name}: no response within {self.timeout} s")
        if response.is_error():
            raise AmiError(f"AMI {name}: {response.keys.get('Message', response)}")
        return response

    def originate_local(
        self,
        ivr_context: str,
        caller_context: str,
        variables: Mapping[str, str] | None = None,
        caller_id: str = "",
        *,
        exten: str = "s",
        uniqueid: str = "",
    ) -> str:
        """Place a call on a Local channel, asynchronously.

        The `;2` half runs exten@ivr_context (the IVR), the `;1` half runs
        s@caller_context (whoever plays the caller). uniqueid, when given,
        becomes the caller half's Asterisk uniqueid, and Asterisk names the
        IVR half "<uniqueid>;2": that one is returned, so the caller can
        find the call record and wait for its Hangup.
        """
        keys = {
            "Channel": f"Local/{exten}@{ivr_context}",
            "Context": caller_context,
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "Timeout": "30000",
        }
        if caller_id:
            keys["CallerID"] = caller_id
        if uniqueid:
            keys["ChannelId"] = uniqueid

        self.action("Originate", variables=variables, **keys)
        return f"{uniqueid};2" if uniqueid else ""

    # Events ------------------------------------------------------------------

    def _on_event(self, event: Event, source=None) -> None:
        with self._events_changed:
            self.events.append((self._next_seq, event))
            self._next_seq += 1
            del self.events[:-EVENT_MEMORY]
            self._events_changed.notify_all()

    def mark(self) -> int:
        """The number the next event will get: pass it as `since`."""
        with self._events_changed:
            return self._next_seq

    def wait_for_event(
        self,
        matches: Callable[[Event], bool],
        timeout: float = 30,
        since: int = 0,
    ) -> Event:
        """The first event numbered since or later, seen so far or still to
        come, that matches."""
        return self.wait_for_numbered(matches, timeout, since)[1]

    def wait_for_numbered(
        self,
        matches: Callable[[Event], bool],
        timeout: float = 30,
        since: int = 0,
    ) -> tuple[int, Event]:
        deadline = time.monotonic() + timeout
        with self._events_changed:
            while True:
                for seq, event in self.events:
                    if seq >= since and matches(event):
                        return seq, event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AmiError(f"no matching AMI event within {timeout} s")
                self._events_changed.wait(remaining)

    def wait_for_hangup(self, uniqueid: str, timeout: float = 60) -> Event:
        """Wait until the channel with this uniqueid has hung up."""
        return self.wait_for_event(
            lambda event: (
                event.name == "Hangup" and event.keys.get("Uniqueid") == uniqueid
            ),
            timeout,
        )

    def wait_fully_booted(self, timeout: float = 30) -> Event:
        return self.wait_for_event(lambda event: event.name == "FullyBooted", timeout)

"""The FastAGI server: Asterisk's AGI(agi://host:port/<flow>) lands here.

One thread per call, many calls in one process. Each connection gets a
Channel over its socket and is handed to `handler(channel)` (in production
ivr.flows.dispatch). The server reads the environment block, logs the call
with its uniqueid, ends a hangup quietly, logs any other error once, and
always closes the socket, which lets Asterisk go on with the dialplan.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable

from ivr.agi.channel import Channel
from ivr.agi.errors import ChannelHungUp
from ivr.agi.handler import serve_channel
from ivr.agi.protocol import LineTransport, read_env

logger = logging.getLogger(__name__)

Handler = Callable[[Channel], object]

# A reply line longer than this is not Asterisk's (GET VARIABLE is capped
# at a few KB); the rest of such a line is read as the next line.
MAX_LINE_BYTES = 65536

# How long a call cut off at shutdown may take to save its ticket and
# call record before the server gives up on it.
CLEANUP_SECONDS = 10.0


class SocketTransport(LineTransport):
    """AGI over one FastAGI connection."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._reader = sock.makefile("rb")
        super().__init__(self.readline, sock.sendall)

    def readline(self) -> bytes:
        try:
            return self._reader.readline(MAX_LINE_BYTES)
        except (ConnectionError, TimeoutError, OSError, ValueError):
            # Reset by Asterisk, or closed by our own shutdown: the call is
            # over either way, and read_reply turns b"" into a hangup.
            return b""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._reader.close()
        self.sock.close()


class _CallHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        self.server.agi.serve_call(self.request)


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # Asterisk opens a connection per call; a burst of calls must queue,
    # not be refused.
    request_queue_size = 128

    def __init__(self, address, agi: FastAgiServer, family: int):
        self.address_family = family
        self.agi = agi
        super().__init__(address, _CallHandler)


class FastAgiServer:
    """A threaded FastAGI server calling handler(channel) for each call."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4573,
        handler: Handler | None = None,
        grace_seconds: float = 10.0,
        env_timeout: float = 10.0,
    ):
        if handler is None:
            raise ValueError("FastAgiServer needs a handler(channel)")
        self.handler = handler
        self.grace_seconds = grace_seconds
        self.env_timeout = env_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = _TcpServer((host, port), self, family)
        self._calls: set[SocketTransport] = set()
        self._calls_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return host, port

    @property
    def active_calls(self) -> int:
        with self._calls_lock:
            return len(self._calls)

    # One call ------------------------------------------------------------

    def serve_call(self, sock: socket.socket) -> None:
        transport = SocketTransport(sock)
        with self._calls_lock:
            self._calls.add(transport)
        try:
            self._run_call(transport)
        finally:
            with self._calls_lock:
                self._calls.discard(transport)
            transport.close()

    def _run_call(self, transport: SocketTransport) -> None:
        # Asterisk writes the environment at once; a peer that does not
        # must not hold a thread. Commands may then wait as long as a
        # caller takes (WAIT FOR DIGIT -1), so no timeout after it.
        transport.sock.settimeout(self.env_timeout)
        try:
            env = read_env(transport.readline)
        except ChannelHungUp:
            logger.info("fastagi: no environment from %s", _peer(transport.sock))
            return
        except Exception:
            logger.exception("fastagi: unreadable environment")
            return
        transport.sock.settimeout(None)

        serve_channel(Channel(transport, env), self.handler)

    # Serving -------------------------------------------------------------

    def serve_forever(self) -> None:
        """Serve until shutdown(), SIGTERM or SIGINT (in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            self._install_signal_handlers()
        host, port = self.address
        logger.info("fastagi: listening on %s:%s", host, port)
        try:
            self._server.serve_forever(poll_interval=0.05)
        finally:
            self._finish_calls()
            self._server.server_close()
            logger.info("fastagi: stopped")

    def start_in_thread(self) -> tuple[str, int]:
        """Serve in a background thread (tests); returns the bound address."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="fastagi", daemon=True
        )
        self._thread.start()
        return self.address

    def shutdown(self) -> None:
        """Stop accepting calls, let running ones end, close what is left."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(self.grace_seconds + CLEANUP_SECONDS + 5)

    def _install_signal_handlers(self) -> None:
        def stop(signum, _frame):
            logger.info("fastagi: %s received, stopping", signal.Signals(signum).name)
            # shutdown() waits for serve_forever, which runs in this very
            # thread: call it from another one.
            threading.Thread(target=self.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def _finish_calls(self) -> None:
        self._wait_for_calls(self.grace_seconds)

        with self._calls_lock:
            left = list(self._calls)
        if not left:
            return

        # Closing the socket makes the flow's next command a hangup, so
        # its cleanup (ticket, call record) still runs.
        logger.warning("fastagi: closing %d call(s) still running", len(left))
        for transport in left:
            with contextlib.suppress(OSError):
                transport.sock.shutdown(socket.SHUT_RDWR)

        # Call threads are daemons: the process must not exit while they
        # are still writing what the caller left.
        if not self._wait_for_calls(CLEANUP_SECONDS):
            logger.error(
                "fastagi: %d call(s) still cleaning up after %.0f s",
                self.active_calls,
                CLEANUP_SECONDS,
            )

    def _wait_for_calls(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.active_calls and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self.active_calls


def _peer(sock: socket.socket) -> str:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "a closed connection"
    return f"{host}:{port}"

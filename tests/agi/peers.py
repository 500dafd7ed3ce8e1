"""A scripted FastAGI peer: the IVR's side, for testing the simulator."""

from __future__ import annotations

import socket
import threading

from ivr.simulator import simulate_call


class RawPeer:
    """A FastAGI 'server' that sends given lines and records the replies."""

    def __init__(self, commands: list[str]):
        self.commands = commands
        self.received = b""
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.listener.accept()
        with conn:
            reader = conn.makefile("rb")
            self.env = []
            while (line := reader.readline()) != b"\n":
                self.env.append(line)
            for command in self.commands:
                conn.sendall(command.encode() + b"\n")
                self.received += self._reply(reader)
        self.listener.close()

    @staticmethod
    def _reply(reader) -> bytes:
        line = reader.readline()
        if line == b"HANGUP\n":
            line += reader.readline()
        if line.startswith(b"520-"):
            while not line.endswith(b"520 End of proper usage.\n"):
                line += reader.readline()
        return line

    def call(self, **options):
        result = simulate_call("127.0.0.1", self.port, **options)
        self.thread.join(5)
        return result

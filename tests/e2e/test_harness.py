"""The harness itself on the real Asterisk, before any IVR flow: a scripted
caller's key reaches the other half of a Local channel, and a FastAGI
round trip to a test-only server works from the sandbox's dialplan."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from callcenter.ami import AmiClient, AmiError
from callcenter.asterisk_sandbox import DEPLOY_DIR
from tests.e2e.conftest import place_call

pytestmark = pytest.mark.e2e


def test_scripted_caller_key_reaches_the_other_half(sandbox, ami):
    sandbox.make_speech("آزمایش", "callcenter-test/harness")

    uniqueid = place_call(ami, "w1|d7", context="harness-ivr", timeout=30)

    event = ami.wait_for_event(
        lambda e: (
            e.name == "UserEvent"
            and e.keys.get("UserEvent") == "HarnessKey"
            and e.keys.get("Uniqueid") == uniqueid
        ),
        timeout=5,
    )
    assert event.keys["Key"] == "7"
    assert event.keys["CallerIDNum"] == "09121234567"


class OneCallAgiServer(threading.Thread):
    """Takes one FastAGI connection, reads the environment, sets a variable
    with Persian text and quotes, reads it back, and keeps the replies."""

    def __init__(self, reply: str) -> None:
        super().__init__(daemon=True)
        self.reply = reply
        self.environment: dict[str, str] = {}
        self.answers: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]

    def run(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rb") as lines:
            for raw in lines:
                line = raw.decode().rstrip("\n")
                if not line:
                    break
                key, _, value = line.partition(": ")
                self.environment[key] = value

            quoted = self.reply.replace("\\", "\\\\").replace('"', '\\"')
            command = f'SET VARIABLE HARNESS_REPLY "{quoted}"\n'
            connection.sendall(command.encode())
            self.answers.append(lines.readline())
            connection.sendall(b"GET VARIABLE HARNESS_REPLY\n")
            self.answers.append(lines.readline())
        self.listener.close()


def test_fastagi_round_trip_from_the_sandbox_dialplan(sandbox, ami):
    token = uuid.uuid4().hex[:8]
    server = OneCallAgiServer(f'سلام "{token}"')
    server.start()

    uniqueid = place_call(
        ami,
        "w5",
        context="harness-agi",
        timeout=30,
        variables={"__HARNESS_AGI": f"127.0.0.1:{server.port}"},
    )
    server.join(10)

    assert server.environment["agi_network"] == "yes"
    assert server.environment["agi_network_script"] == "harness"
    assert server.environment["agi_arg_1"] == "from-dialplan"
    assert server.environment["agi_uniqueid"] == uniqueid
    assert server.answers[0] == b"200 result=1\n"
    assert server.answers[1].decode() == f'200 result=1 (سلام "{token}")\n'

    # The dialplan got the value too (its argument parser drops the quotes).
    event = ami.wait_for_event(
        lambda e: (
            e.name == "UserEvent"
            and e.keys.get("UserEvent") == "HarnessAgi"
            and e.keys.get("Uniqueid") == uniqueid
        ),
        timeout=5,
    )
    assert event.keys["Reply"] == f"سلام {token}"


def test_ami_greets_with_fully_booted_and_refuses_a_wrong_secret(sandbox, ami):
    assert ami.wait_fully_booted(timeout=5).name == "FullyBooted"

    with pytest.raises(AmiError, match="refused"):
        AmiClient(port=sandbox.ami_port, secret="not-the-secret").connect()


def test_ami_without_a_server_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(AmiError, match="cannot reach AMI"):
        AmiClient(port=closed_port, secret="x").connect()


def test_every_module_in_modules_conf_runs(sandbox):
    wanted = {
        line.split("=>", 1)[1].strip()
        for line in (DEPLOY_DIR / "modules.conf").read_text().splitlines()
        if line.startswith("load =>")
    }

    assert {"res_agi.so", "app_queue.so", "chan_pjsip.so"} <= wanted

    running = {
        fields[0]
        for fields in (line.split() for line in sandbox.cli("module show").splitlines())
        if len(fields) > 1 and fields[0].endswith(".so") and "Running" in fields
    }

    assert wanted - running == set()

"""`callcenter web serve`: the console as a process, stopped by its pid."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner

from callcenter.cli import main


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_web_serve_answers_on_the_port_given(settings, db, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "CALLCENTER_DATABASE_URL": db,
        "CALLCENTER_DATA_DIR": str(tmp_path / "var"),
        "CALLCENTER_SECRET_KEY": "cli-test",
        "CALLCENTER_LOG_LEVEL": "INFO",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from callcenter.cli import main; main()"]
        + ["web", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"http://127.0.0.1:{port}/login?phone=09121234567"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert '<html lang="fa" dir="rtl">' in body
    finally:
        server.terminate()
        server.wait(timeout=10)

    # The access log names the page, never the query: searches carry
    # phone numbers.
    log = server.stdout.read().decode()
    assert "GET /login 200" in log, log
    assert "09121234567" not in log


def test_web_serve_rejects_a_bad_port():
    result = CliRunner().invoke(main, ["web", "serve", "--port", "70000"])

    assert result.exit_code != 0
    assert "70000" in result.output


def test_web_serve_reports_a_busy_port(settings, db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = CliRunner().invoke(main, ["web", "serve", "--port", str(port)])

    # werkzeug names the problem itself ("Address already in use").
    assert result.exit_code == 1
    assert "in use" in result.output
    assert "web console on" not in result.output

"""How many IVR calls per second: FastAGI threads against process per call.

Each call is the same self-service path through the real flows: greeting,
main menu, 1 (information), the first service, its hours, documents and
online address, then the caller hangs up. The Asterisk side is the
byte-exact simulator; the database is a fresh schema on the machine's
PostgreSQL. Prompts are not played, so this measures the product's own
work per call (protocol, menus, database), not audio time.

    .venv/bin/python bench/agi_calls.py --calls 200 --concurrency 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callcenter.config import load_settings, use_settings  # noqa: E402
from ivr.agi.fastagi import FastAgiServer  # noqa: E402
from ivr.flows import dispatch  # noqa: E402
from ivr.simulator import AsteriskSimulator, simulate_call  # noqa: E402
from tests.conftest import create_schema, drop_schema  # noqa: E402
from ticketing.catalogue import load_catalogue  # noqa: E402
from ticketing.db import dispose_engines, session_scope  # noqa: E402
from ticketing.migrate import upgrade  # noqa: E402

KEYS = ["1", "1", "wait"]
SCRIPT = ROOT / "agi_scripts" / "ivr.py"


def fastagi_call(port: int, number: int) -> float:
    started = time.perf_counter()
    simulate_call(
        "127.0.0.1",
        port,
        flow="main",
        events=list(KEYS),
        uniqueid=f"bench-fast-{number}",
        timeout=60,
    )
    return time.perf_counter() - started


def script_call(env: dict[str, str], number: int) -> float:
    started = time.perf_counter()
    simulator = AsteriskSimulator(
        flow="main", events=list(KEYS), uniqueid=f"bench-proc-{number}"
    )
    simulator.run_process([sys.executable, str(SCRIPT)], env)
    return time.perf_counter() - started


def run(label: str, place, calls: int, concurrency: int) -> None:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        durations = list(pool.map(place, range(calls)))
    elapsed = time.perf_counter() - started

    durations.sort()
    p95 = durations[int(len(durations) * 0.95) - 1]
    print(
        f"{label:<18} {calls} calls, {concurrency} at once: "
        f"{calls / elapsed:6.1f} calls/s, median {statistics.median(durations):.3f} s,"
        f" p95 {p95:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    options = parser.parse_args()

    schema, url = create_schema("bench")
    scratch = tempfile.mkdtemp(prefix="bench-")
    environ = {
        "CALLCENTER_DATABASE_URL": url,
        "CALLCENTER_DATA_DIR": scratch,
        "CALLCENTER_REDIS_URL": "redis://127.0.0.1:6379/15",
        "CALLCENTER_LOG_LEVEL": "WARNING",
    }
    settings = load_settings(environ=environ)
    use_settings(settings)
    try:
        upgrade(url)
        with session_scope(url) as session:
            load_catalogue(session, settings.path(settings.catalogue_file))

        server = FastAgiServer("127.0.0.1", 0, dispatch)
        _host, port = server.start_in_thread()
        run(
            "FastAGI",
            lambda n: fastagi_call(port, n),
            options.calls,
            options.concurrency,
        )
        server.shutdown()

        env = {**os.environ, **environ}
        run(
            "process per call",
            lambda n: script_call(env, n),
            max(options.calls // 4, 1),
            options.concurrency,
        )
    finally:
        dispose_engines()
        drop_schema(schema)


if __name__ == "__main__":
    main()

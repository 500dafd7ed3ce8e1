#!/usr/bin/env python3
"""Process-per-call AGI entry: AGI(/path/to/agi_scripts/ivr.py,<flow>[,args]).

Serves one call on stdin/stdout with the same flows as the FastAGI server.
The python3 on Asterisk's PATH must have this project installed; the
checkout's root is also put on sys.path so a plain copy runs too.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# This file is called ivr.py: with its own folder first on sys.path,
# "import ivr" would find it instead of the ivr package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from ivr.agi.pyst2_transport import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

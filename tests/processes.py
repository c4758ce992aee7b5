"""What a test reads of a local stack's process from /proc: the CPU it has used, and when it has gone quiet."""

from __future__ import annotations

import os
import time
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pid: int, seconds: float, limit_seconds: float = 120) -> None:
    """Until the process has used under 3% of a core for more than ``seconds`` in a row: the work it was given
    (events relayed and consumed) is done."""
    deadline, quiet = time.monotonic() + limit_seconds, 0
    while quiet <= seconds:
        assert time.monotonic() < deadline, f"the stack was still busy after {limit_seconds:.0f} s"
        used = cpu_seconds(pid)
        time.sleep(1)
        quiet = quiet + 1 if cpu_seconds(pid) - used < 0.03 else 0

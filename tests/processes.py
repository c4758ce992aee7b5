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
    """Until the process has used under 3% of a core over the last ``seconds`` and one more: the work it was given
    (events relayed and consumed) is done. Over the whole window, not each second: the poller's look at every queue
    every few seconds costs a few hundredths of a second, which on a loaded machine kept any one second from looking
    quiet."""
    deadline, window = time.monotonic() + limit_seconds, int(seconds) + 1
    samples = [cpu_seconds(pid)]
    while len(samples) <= window or samples[-1] - samples[-1 - window] >= 0.03 * window:
        assert time.monotonic() < deadline, f"the stack was still busy after {limit_seconds:.0f} s"
        time.sleep(1)
        samples.append(cpu_seconds(pid))

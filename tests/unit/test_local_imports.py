"""The processes that join a running local stack load none of the emulator: the CLI (every command but `local up`)
and the stack's worker processes each paid 0.5-0.6 s of CPU to import moto they never used."""

import subprocess
import sys

JOINING = ("chalicelib.cli", "chalicelib.local.localdir", "chalicelib.local.worker", "chalicelib.local.poller",
           "chalicelib.local.relay", "chalicelib.notifications.service")  # fmt: skip


def test_joining_a_running_stack_and_feeding_its_handlers_load_no_emulator():
    code = (
        f"import sys; import {', '.join(JOINING)}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

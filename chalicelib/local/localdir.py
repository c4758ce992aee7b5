"""Where the local stack keeps its state, and how another process (the CLI, a bench) joins the stack running on it.

Light on purpose: joining a running stack needs its ``stack.json`` and the platform's code, never the emulator
(moto) that only the stack's own process runs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class LocalDir:
    """Where the local stack keeps its state (``LOYALTY_LOCAL_DIR``, default ``.local/``)."""

    root: Path

    @classmethod
    def default(cls) -> LocalDir:
        return cls(Path(os.environ.get("LOYALTY_LOCAL_DIR", PROJECT_DIR / ".local")).resolve())

    @property
    def data(self) -> Path:
        return self.root / "data.json"

    @property
    def stack(self) -> Path:
        return self.root / "stack.json"

    @property
    def exports(self) -> Path:
        """Where export files land: the BI files under ``bi/``, reports exported on demand under ``reports/``."""
        return self.root / "exports"

    @property
    def media(self) -> Path:
        """Where published pictures land (``chalicelib.media``), served at ``/media/``."""
        return self.root / "media"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.json"

    @property
    def master_key(self) -> Path:
        """The local stand-in for KMS: the key that wraps every member's data key."""
        return self.root / "master.key"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"


def connect(local: LocalDir | None = None) -> dict[str, Any]:
    """Point this process at a running local stack (for the CLI), with the settings the stack runs with (one set
    otherwise in this process's own environment, or set here and not there, is said and left unused); exit with a
    hint if none is running, also when a killed stack left its ``stack.json`` behind."""
    local = local or LocalDir.default()
    if not local.stack.exists() or not _held(local.root / "stack.lock"):
        sys.exit(f"No local stack is running on {local.root}; start it with `make run`.")
    from chalicelib.shared.db import bind_tables
    from chalicelib.shared.settings import get_settings, setting_names

    stack: dict[str, Any] = json.loads(local.stack.read_text())
    theirs: dict[str, str] = stack["environment"]
    for name in sorted(setting_names() & set(os.environ)):
        if name not in theirs:  # the stack runs on the default (a review: the CLI used its own, silently)
            print(f"{name}={os.environ.pop(name)} ignored: the running stack was not given it", file=sys.stderr)
        elif os.environ[name] != theirs[name]:
            print(f"{name}={os.environ[name]} ignored: the running stack has {theirs[name]!r}", file=sys.stderr)
    os.environ.update(theirs)
    get_settings.cache_clear()
    settings = get_settings()
    bind_tables(settings.table_prefix, settings.region)
    return stack


def _held(lock: Path) -> bool:
    """Whether a running stack holds ``lock`` (it does for as long as it runs; a killed one holds nothing)."""
    import fcntl

    try:
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return False
    return False

"""A local stack's worker process: does the work its stack sends, one JSON line in, one out.

``{"deliver": {queue_url, handler, batch_size}}``: a delivery (``poller.deliver``), answered with how many
messages it received; ``{"relay": stream_arn}``: a relay step (``relay.StreamReader``), answered with what
the items it relayed held and how far it read. Ends when its input closes (the stack stopped or died); ignores
Ctrl-C and SIGTERM, which reach the whole process group while the stack drains its workers.
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any


def run(command: dict[str, Any]) -> Any:
    from chalicelib.local.poller import Delivery, deliver
    from chalicelib.local.relay import reader

    if "relay" in command:
        return reader(command["relay"]).relay()
    return deliver(Delivery(**command["deliver"]))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    answers, sys.stdout = sys.stdout, sys.stderr  # whatever a handler prints cannot garble an answer
    for line in sys.stdin:
        answers.write(json.dumps(run(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()

"""A local stack's worker process: makes the deliveries its stack asks for, one JSON line in, one out.

A delivery (a queue, its handler, the batch size) in; how many messages it received out (see
``poller.deliver``). Ends when its input closes (the stack stopped or died); ignores Ctrl-C and SIGTERM, which
reach the whole process group while the stack drains its workers.
"""

from __future__ import annotations

import json
import signal
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from chalicelib.local.poller import Delivery, deliver

    for line in sys.stdin:
        sys.stdout.write(json.dumps(deliver(Delivery(**json.loads(line)))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

"""The fan-out's upper bound: the same HTTP posts the bench plug-in makes, sent by a
plain loop with no database, no broker and no Celery.

Run as ``python -m bench.plainposts SINK_URL COUNT``: it prints ``READY``, waits for a
line on stdin, posts ``COUNT`` posts one after another through ``bench.sinkclient``
(one keep-alive session, one unique idempotency key each) and prints ``DONE``. The
driver starts two of them, as the fan-out runs two worker processes, and times from
the line it sends until both are done.
"""

from __future__ import annotations

import sys
import uuid

from advocacy.networks import base as net
from bench.sinkclient import client

TEXT = "#employee I work at ACME. Today we open our new warehouse in Leipzig. Come and see the robots!"


def post_all(sink_url: str, count: int) -> None:
    session = net.AccountSession(network="mastodon", handle="bench", service_url=sink_url)
    prefix = uuid.uuid4().hex
    for n in range(count):
        client.publish(session, net.PublishRequest(text=TEXT, idempotency_key=f"{prefix}-{n}", language="en"))


if __name__ == "__main__":
    url, total = sys.argv[1], int(sys.argv[2])
    print("READY", flush=True)
    sys.stdin.readline()
    post_all(url, total)
    print("DONE", flush=True)

"""A local SMTP server that keeps what it receives in memory: the tests' and the
benchmark's mail server on loopback (aiosmtpd). Optionally slow, to catch workers
mid-send."""

from __future__ import annotations

import threading
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default


class Sink:
    def __init__(self, delay: float = 0.0, keep: bool = True):
        self.delay, self.keep = delay, keep
        self.lock = threading.Lock()
        self.messages: list = []
        self.recipients: Counter = Counter()
        self.times: list[float] = []
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.count += 1
            self.times.append(time.time())
            for rcpt in envelope.rcpt_tos:
                self.recipients[rcpt] += 1
            if self.keep:
                self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


def start(port: int = 0, **kwargs):
    """(controller, sink, port): stop with controller.stop()."""
    import socket

    from aiosmtpd.controller import Controller

    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    sink = Sink(**kwargs)
    controller = Controller(sink, hostname="127.0.0.1", port=port,
                            data_size_limit=10_000_000)
    controller.start()
    return controller, sink, port

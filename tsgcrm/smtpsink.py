"""A local SMTP server that keeps what it receives in memory: the tests' and the
benchmark's mail server on loopback. Optionally slow, to catch workers mid-send.

A lean asyncio protocol rather than a full SMTP server (aiosmtpd): it answers the commands
Django's SMTP backend and smtplib send (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) with
little work, about 0.3 ms of CPU a message against aiosmtpd's 1.6 ms, so it takes little
of the machine it shares with the workers and the database, and answers them sooner. As a
real server, it counts a message only once its final "." came; a connection dropped
before that leaves nothing.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default

DATA_SIZE_LIMIT = 10_000_000
_ADDRESS = re.compile(rb"^(?:FROM|TO):\s*<([^>]*)>", re.IGNORECASE)


class Sink:
    def __init__(self, delay: float = 0.0, keep: bool = True):
        self.delay, self.keep = delay, keep
        self.lock = threading.Lock()
        self.messages: list = []
        self.recipients: Counter = Counter()
        self.times: list[float] = []
        self.count = 0

    def receive(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> str:
        """One whole message: count it (and keep it, parsed). The reply's text."""
        if self.delay:
            time.sleep(self.delay)  # blocks the server, as a slow one would
        with self.lock:
            self.count += 1
            self.times.append(time.time())
            for rcpt in rcpt_tos:
                self.recipients[rcpt] += 1
            if self.keep:
                self.messages.append(message_from_bytes(content, policy=default))
        return "250 Message accepted for delivery"


class _Session(asyncio.Protocol):
    """One SMTP connection."""

    def __init__(self, sink: Sink, controller: Controller):
        self.sink, self.controller = sink, controller
        self.buffer = bytearray()
        self.mail_from: str | None = None
        self.rcpt_tos: list[str] = []
        self.in_data = False
        self.scanned = 0  # how far the buffer was searched for the end of DATA
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.controller.sessions.add(self)
        transport.write(b"220 127.0.0.1 tsgcrm SMTP sink\r\n")

    def connection_lost(self, exc) -> None:
        self.controller.sessions.discard(self)  # an unfinished DATA is discarded

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        replies = []
        while self.transport is not None and not self.transport.is_closing():
            if self.in_data:
                if self.buffer.startswith(b".\r\n"):  # an empty message
                    body, rest = b"", 3
                else:
                    end = self.buffer.find(b"\r\n.\r\n", self.scanned)
                    if end < 0:
                        self.scanned = max(0, len(self.buffer) - 4)
                        break
                    body, rest = bytes(self.buffer[:end + 2]), end + 5
                del self.buffer[:rest]
                self.in_data, self.scanned = False, 0
                replies.append(self._message(body))
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line = bytes(self.buffer[:end])
            del self.buffer[:end + 2]
            reply = self._command(line)
            if reply is None:  # QUIT
                if replies:
                    self.transport.write("".join(replies).encode())
                self.transport.write(b"221 Bye\r\n")
                self.transport.close()
                return
            replies.append(reply)
        if replies and self.transport is not None:
            self.transport.write("".join(replies).encode())

    def _message(self, body: bytes) -> str:
        body = body[1:] if body.startswith(b"..") else body  # undo dot-stuffing
        body = body.replace(b"\r\n..", b"\r\n.")
        mail_from, rcpt_tos = self.mail_from, self.rcpt_tos
        self.mail_from, self.rcpt_tos = None, []
        if len(body) > DATA_SIZE_LIMIT:
            return "552 Error: Too much mail data\r\n"
        return self.sink.receive(mail_from or "", rcpt_tos, body) + "\r\n"

    def _command(self, line: bytes) -> str | None:
        verb, _, argument = line.partition(b" ")
        verb = verb.upper()
        if verb == b"EHLO":
            return (f"250-127.0.0.1\r\n250-SIZE {DATA_SIZE_LIMIT}\r\n250-8BITMIME\r\n"
                    "250 HELP\r\n")
        if verb == b"HELO":
            return "250 127.0.0.1\r\n"
        if verb == b"MAIL":
            match = _ADDRESS.match(argument)
            if not match:
                return "501 Syntax: MAIL FROM: <address>\r\n"
            if self.mail_from is not None:
                return "503 Error: nested MAIL command\r\n"
            self.mail_from = match.group(1).decode(errors="replace")
            return "250 OK\r\n"
        if verb == b"RCPT":
            if self.mail_from is None:
                return "503 Error: need MAIL command\r\n"
            match = _ADDRESS.match(argument)
            if not match:
                return "501 Syntax: RCPT TO: <address>\r\n"
            self.rcpt_tos.append(match.group(1).decode(errors="replace"))
            return "250 OK\r\n"
        if verb == b"DATA":
            if not self.rcpt_tos:
                return "503 Error: need RCPT command\r\n"
            self.in_data = True
            return "354 End data with <CR><LF>.<CR><LF>\r\n"
        if verb == b"RSET":
            self.mail_from, self.rcpt_tos = None, []
            return "250 OK\r\n"
        if verb == b"NOOP":
            return "250 OK\r\n"
        if verb == b"QUIT":
            return None
        if verb == b"VRFY":
            return "252 Cannot VRFY user, but will accept message and attempt delivery\r\n"
        return f'500 Error: command "{verb.decode(errors="replace")}" not recognized\r\n'


class Controller:
    """The server's event loop in a thread of its own; stop() ends it."""

    def __init__(self, sink: Sink, hostname: str, port: int):
        self.sink, self.hostname, self.port = sink, hostname, port
        self.sessions: set[_Session] = set()
        self.loop = asyncio.new_event_loop()
        self.thread: threading.Thread | None = None
        self.server = None

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.server = self.loop.run_until_complete(self.loop.create_server(
                    lambda: _Session(self.sink, self), self.hostname, self.port,
                    reuse_address=True))
            except BaseException as error:  # noqa: BLE001 - handed to start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.server.close()
            for session in list(self.sessions):
                if session.transport is not None:
                    session.transport.abort()
            self.loop.run_until_complete(self.server.wait_closed())
            self.loop.close()

        self.thread = threading.Thread(target=run, name="smtpsink", daemon=True)
        self.thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
        self.thread = None


def start(port: int = 0, **kwargs):
    """(controller, sink, port): stop with controller.stop()."""
    import socket

    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    sink = Sink(**kwargs)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink, port

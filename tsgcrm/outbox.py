"""Handing an email over exactly once: `Outbox.send(email, mark)` calls `mark()` (which
records the email as sent, in the caller's database) at the last moment before the
hand-over cannot be undone.

Over SMTP, the message is transferred up to, but not including, the final "." that ends
the DATA command. Then, in one transaction, `mark()` runs, the "." is written and the
transaction commits. A process that dies before the "." leaves an unfinished SMTP
transaction, which the server discards, and an uncommitted mark, which PostgreSQL rolls
back: the email is sent again later. Once the COMMIT is sent, PostgreSQL completes it even
if the process dies: the email counts as sent and is never sent again. What is left
between the two is the writing of the COMMIT after the ".", a few microseconds. Another
backend (a provider's HTTP API, files in development) is marked just before the call.

Used by the newsletters (newsletters/sending.py) and the task reminders.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from dataclasses import dataclass

from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction

log = logging.getLogger(__name__)

SENT, RETRY, FAILED, FENCED = "sent", "retry", "failed", "fenced"


@dataclass
class Outcome:
    result: str
    error: str = ""
    message_id: str = ""


class _Fenced(Exception):
    """Another worker holds the row now."""


class Outbox:
    """One connection of the configured email backend, handing over one message at a time
    and calling `mark()` at the last moment before the hand-over cannot be undone."""

    def __init__(self):
        self.backend = get_connection(fail_silently=False)
        self.smtp = isinstance(self.backend, SMTPBackend)

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            log.debug("closing the email connection failed", exc_info=True)

    def send(self, email, mark) -> Outcome:
        if self.smtp:
            return self._send_smtp(email, mark)
        if not mark():
            return Outcome(FENCED)
        try:
            self.backend.send_messages([email])
        except Exception as error:  # noqa: BLE001 - any backend error: not handed over
            return Outcome(RETRY, str(error)[:500])
        status = getattr(email, "anymail_status", None)
        return Outcome(SENT, message_id=getattr(status, "message_id", None) or "")

    def _send_smtp(self, email, mark) -> Outcome:
        backend = self.backend
        try:
            if backend.connection is None:
                backend.open()
                # The final "." goes in a write of its own: without this, Nagle's algorithm
                # holds it until the server's delayed ACK (40 ms a message).
                backend.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp = backend.connection
            smtp.ehlo_or_helo_if_needed()
            sender = email.from_email
            recipients = email.recipients()
            data = email.message().as_bytes(linesep="\r\n")
            code, reply = smtp.mail(sender)
            if code != 250:
                return self._refused(code, reply)
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    return self._refused(code, reply)
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                return self._refused(code, reply)
            payload = smtplib._quote_periods(data)  # noqa: SLF001 - as smtplib.data() does
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            return Outcome(RETRY, str(error)[:500])
        # The mark and the "." as nearly one event: the row is marked in a transaction,
        # the "." is written, then the transaction commits. Dying before the "." rolls the
        # mark back (the server discards the unfinished DATA; the row is sent again later);
        # once the COMMIT is on its way, PostgreSQL completes it even if this process dies.
        # Left between the two: writing the COMMIT, a few microseconds.
        try:
            with transaction.atomic():
                if not mark():
                    raise _Fenced
                smtp.send(b".\r\n")
        except _Fenced:
            self._drop()  # the server discards a DATA never ended with "."
            return Outcome(FENCED)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()  # the "." did not go: the mark was rolled back
            return Outcome(RETRY, str(error)[:500])
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            # The message was handed over; whether the server kept it is unknown, and
            # sending again could make a duplicate: it stays counted as sent.
            return Outcome(SENT, f"unconfirmed: {error}"[:500])
        if code == 250:
            return Outcome(SENT)
        return self._refused(code, reply, after_handover=True)

    def _refused(self, code: int, reply: bytes, after_handover: bool = False) -> Outcome:
        text = f"{code} {reply.decode(errors='replace')}"[:500]
        if not after_handover:
            try:
                self.backend.connection.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
        return Outcome(RETRY if 400 <= code < 500 else FAILED, text)

    def _drop(self) -> None:
        try:
            if self.backend.connection is not None:
                self.backend.connection.close()
        except Exception:  # noqa: BLE001
            log.debug("closing the SMTP connection failed", exc_info=True)
        self.backend.connection = None

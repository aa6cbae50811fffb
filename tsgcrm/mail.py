"""Emails sent exactly once, however often and from however many processes a job runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation


def send_once(*, record: Callable[[], object], to: Iterable, subject, template: str,
              context: dict) -> bool:
    """Run `record()` (the insert of a row a unique constraint makes once-only), then email
    each person in `to` in their language, all in one transaction: another process sending
    the same thing hits the constraint and sends nothing; a failed send leaves no row, so
    the next run tries again. `subject` is formatted with `context["subject_args"]`."""
    people = [p for p in to if p is not None and p.is_active and p.email]
    if not people:
        return False
    try:
        with transaction.atomic():
            record()
            for person in people:
                with translation.override(person.language or settings.LANGUAGE_CODE):
                    EmailMessage(subject=str(subject) % context.get("subject_args", {}),
                                 body=render_to_string(template, {**context, "person": person}),
                                 to=[person.email]).send()
    except IntegrityError:
        return False  # already sent (by this job earlier, or by another process now)
    return True

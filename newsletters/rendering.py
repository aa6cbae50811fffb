"""A newsletter turned into one personalised email per reader.

The subject, preheader and bodies are Django templates written by the office, compiled by
an engine of their own: no template loaders (nothing from the server can be included) and
only plain strings in the context. The email layout around the body is rendered once per
language version; each reader's message then only fills in its body and links.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from email.utils import make_msgid
from html import unescape
from html.parser import HTMLParser

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# Checking: positions of errors kept. Sending: the same language, leaner.
_CHECKING = Engine(debug=True, loaders=[], libraries={}, autoescape=True)
_SENDING = Engine(debug=False, loaders=[], libraries={}, autoescape=True)

FIELDS = ("subject", "subject_b", "preheader", "body_html", "body_text")
PERSONAL = ("first_name", "last_name", "full_name", "email", "city", "organisation", "office")
SAMPLE = {"first_name": "Camille", "last_name": "Martin", "full_name": "Camille Martin",
          "email": "camille.martin@example.org", "city": "Lyon",
          "organisation": "Coopérative des Monts", "office": "tsgcrm"}

_HREF = re.compile(r'(<a\b[^>]*?\bhref\s*=\s*)(["\'])(https?://[^"\'\s<>]+)\2', re.IGNORECASE)
_TRACKING = signing.Signer(salt="newsletters.tracking")


class TemplateProblem(Exception):
    """A field of a version does not compile or render: which field, which line, why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _compile(engine: Engine, source: str) -> Template:
    return Template(source, engine=engine)


def check(values: dict[str, str]) -> dict[str, str]:
    """The errors of each template field ({field: message with its line}), found by
    compiling it and rendering it for a sample reader."""
    errors = {}
    for name in FIELDS:
        source = values.get(name) or ""
        if not source:
            continue
        try:
            _compile(_CHECKING, source).render(Context(SAMPLE))
        except TemplateSyntaxError as error:
            info = getattr(error, "template_debug", None)
            line = info["line"] if info else None
            errors[name] = (_("Line %(line)s: %(error)s") % {"line": line, "error": error}
                            if line else str(error))
        except Exception as error:  # noqa: BLE001 - a template may fail in many ways
            errors[name] = _("This template cannot be rendered: %(error)s") % {"error": error}
    return errors


class _Text(HTMLParser):
    """HTML to readable plain text: paragraphs, line breaks, list items and link targets."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "tr", "table", "ul", "ol", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: list[str | None] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"style", "script", "head", "title"}:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in {"style", "script", "head", "title"}:
            self.skip = max(self.skip - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://")):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = "\n".join(line.strip() for line in text.splitlines())
    return unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


def links_in(source: str) -> list[str]:
    """The fixed http(s) links of a body template, in order, once each (a link built from
    the reader's details cannot be tracked and is left as it is)."""
    seen: dict[str, None] = {}
    for match in _HREF.finditer(source):
        url = unescape(match.group(3))
        if "{" not in url and "%" not in url[:8]:
            seen.setdefault(url, None)
    return list(seen)


def tracking_token(*parts: int) -> str:
    return _TRACKING.sign(".".join(str(p) for p in parts))


def read_token(token: str, count: int) -> list[int] | None:
    """The numbers a tracking token carries, or None when it was forged or altered."""
    try:
        value = _TRACKING.unsign(token)
        numbers = [int(part) for part in value.split(".")]
    except (signing.BadSignature, ValueError):
        return None
    return numbers if len(numbers) == count else None


_MARK = "0-token-0"


@functools.cache
def _url_pattern(name: str) -> tuple[str, str]:
    """The absolute URL of a tracking view around its token, reversed once."""
    before, _mark, after = (settings.SITE_URL + reverse(name, args=[_MARK])).partition(_MARK)
    return before, after


def tracking_url(name: str, token: str) -> str:
    before, after = _url_pattern(name)
    return f"{before}{token}{after}"


def tracking_urls(delivery_id: int) -> dict[str, str]:
    token = tracking_token(delivery_id)
    return {"open": tracking_url("newsletters:open", token),
            "unsubscribe": tracking_url("newsletters:unsubscribe", token)}


@dataclass
class Sender:
    name: str
    email: str
    reply_to: str
    postal_address: str
    rate_per_minute: int

    @property
    def from_header(self) -> str:
        from email.headerregistry import Address

        return str(Address(display_name=self.name, addr_spec=self.email))

    @classmethod
    def of(cls, office) -> Sender:
        """The office's sender, or a plain default naming the office."""
        from .models import Sender as SenderModel

        sender = SenderModel.objects.filter(office=office).first()
        if sender:
            return cls(sender.from_name, sender.from_email, sender.reply_to,
                       sender.postal_address, sender.rate_per_minute)
        from email.utils import parseaddr

        return cls(office.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1], "",
                   f"{office.name}, {office.city}",
                   settings.NEWSLETTER_DEFAULT_RATE_PER_MINUTE)


@dataclass
class Compiled:
    """One language version ready to send: templates compiled, the layout rendered once
    with markers where each reader's parts go."""

    language: str
    subject: Template
    subject_b: Template | None
    preheader: Template | None
    body_html: Template
    body_text: Template
    layout_html: str
    layout_text: str
    links: dict[str, int] = field(default_factory=dict)

    BODY, OPEN, UNSUBSCRIBE, PREHEADER = "\x00body\x00", "\x00open\x00", "\x00unsub\x00", \
        "\x00pre\x00"


def compile_version(version, *, newsletter, sender: Sender,
                    links: dict[str, int] | None = None) -> Compiled:
    def optional(source):
        return _compile(_SENDING, source) if source else None

    with translation.override(version.language):
        context = {"newsletter": newsletter, "sender": sender, "language": version.language,
                   "body": mark_safe(Compiled.BODY),  # noqa: S308 - a fixed marker
                   "preheader": mark_safe(Compiled.PREHEADER),  # noqa: S308
                   "open_url": Compiled.OPEN, "unsubscribe_url": Compiled.UNSUBSCRIBE}
        layout_html = render_to_string("newsletters/email/layout.html", context)
        layout_text = render_to_string("newsletters/email/layout.txt", context)
    # Without a plain-text body, it is made once from the HTML template (tags and
    # variables stay as they are), not from each reader's HTML.
    text_source = version.body_text or html_to_text(version.body_html)
    return Compiled(
        language=version.language, subject=_compile(_SENDING, version.subject),
        subject_b=optional(version.subject_b), preheader=optional(version.preheader),
        body_html=_compile(_SENDING, version.body_html),
        body_text=_compile(_SENDING, "{% autoescape off %}" + text_source
                           + "{% endautoescape %}"),
        layout_html=layout_html, layout_text=layout_text, links=links or {})


@dataclass
class Reader:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    city: str = ""
    organisation: str = ""

    def context(self, office: str) -> Context:
        return Context({"first_name": self.first_name, "last_name": self.last_name,
                        "full_name": f"{self.first_name} {self.last_name}".strip(),
                        "email": self.email, "city": self.city,
                        "organisation": self.organisation, "office": office})


def personalise(compiled: Compiled, reader: Reader, *, office: str, variant: str = "",
                delivery_id: int | None = None,
                urls: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(subject, html, text) for one reader. Without a delivery (previews, tests) links
    are not tracked and the unsubscribe link leads nowhere."""
    context = reader.context(office)
    subject_template = compiled.subject_b if variant == "B" and compiled.subject_b else \
        compiled.subject
    subject = " ".join(unescape(subject_template.render(context)).split())
    preheader = compiled.preheader.render(context) if compiled.preheader else ""
    body = compiled.body_html.render(context)
    if delivery_id is not None:
        urls = urls or tracking_urls(delivery_id)
        if compiled.links:
            body = _HREF.sub(lambda m: _tracked(m, compiled.links, delivery_id), body)
    else:
        urls = {"open": "", "unsubscribe": "#"}
    text = unescape(compiled.body_text.render(context))
    html = (compiled.layout_html.replace(Compiled.BODY, body)
            .replace(Compiled.PREHEADER, preheader)
            .replace(Compiled.OPEN, urls["open"])
            .replace(Compiled.UNSUBSCRIBE, urls["unsubscribe"]))
    text = (compiled.layout_text.replace(Compiled.BODY, text)
            .replace(Compiled.UNSUBSCRIBE, urls["unsubscribe"]))
    return subject, html, text


def _tracked(match: re.Match, links: dict[str, int], delivery_id: int) -> str:
    url = unescape(match.group(3))
    link_id = links.get(url)
    if link_id is None:
        return match.group(0)
    target = tracking_url("newsletters:click", tracking_token(delivery_id, link_id))
    return f"{match.group(1)}{match.group(2)}{target}{match.group(2)}"


def message(*, sender: Sender, to: str, subject: str, html: str, text: str,
            unsubscribe_url: str | None, message_id: str | None = None,
            connection=None) -> EmailMultiAlternatives:
    headers = {}
    if message_id:
        headers["Message-ID"] = message_id
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(subject=subject, body=text, from_email=sender.from_header,
                                   to=[to], reply_to=[sender.reply_to] if sender.reply_to
                                   else None, headers=headers, connection=connection)
    email.attach_alternative(html, "text/html")
    return email


def new_message_id(newsletter_id: int, delivery_id: int) -> str:
    return make_msgid(idstring=f"nl{newsletter_id}.{delivery_id}",
                      domain=settings.NEWSLETTER_MESSAGE_ID_DOMAIN)

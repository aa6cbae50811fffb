"""What readers' mail programs and mail providers tell us: opens (a pixel), clicks (a
signed redirect), unsubscribes (a signed one-click link, RFC 8058) and the providers'
bounce and complaint webhooks (through django-anymail). Forged or altered links get a
plain 404; a malformed webhook gets a 400 and a line in the log."""

from __future__ import annotations

import base64
import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from contacts.models import Consent, Person
from contacts.services import consent_record

from . import rendering, services
from .forms import office_languages
from .models import Delivery, Link

log = logging.getLogger(__name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _delivery(token: str, count: int = 1) -> tuple[Delivery, list[int]]:
    numbers = rendering.read_token(token, count)
    if numbers is None:
        raise Http404
    delivery = (Delivery.objects.select_related("newsletter", "newsletter__office")
                .filter(pk=numbers[0]).first())
    if delivery is None:
        raise Http404
    return delivery, numbers


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    delivery, _numbers = _delivery(token)
    services.delivery_opened(delivery)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    delivery, (_pk, link_id) = _delivery(token, 2)
    # The target comes from the newsletter's own links, never from the request.
    link = Link.objects.filter(pk=link_id, newsletter_id=delivery.newsletter_id).first()
    if link is None:
        raise Http404
    services.delivery_clicked(delivery, link)
    return redirect(link.url)


@csrf_exempt  # the signed token is the credential; mail programs post without a session
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    delivery, _numbers = _delivery(token)
    with translation.override(delivery.language or None):
        return _unsubscribe(request, delivery)


def _unsubscribe(request: HttpRequest, delivery: Delivery) -> HttpResponse:
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        # The consent record is read by the office: written in the office's language.
        with translation.override(office_languages(delivery.newsletter.office)[0]):
            services.unsubscribe(delivery, how=_("One-click unsubscribe") if one_click
                                 else _("Unsubscribe link"))
        if one_click:
            return HttpResponse(_("You are unsubscribed."), content_type="text/plain")
        return render(request, "newsletters/unsubscribed.html", {"delivery": delivery})
    return render(request, "newsletters/unsubscribe.html", {
        "delivery": delivery, "done": delivery.unsubscribed_at is not None})


def provider_event(sender, event, esp_name, **kwargs) -> None:
    """A provider's tracking event (django-anymail's normalised form)."""
    message_id = getattr(event, "message_id", None)
    delivery = (Delivery.objects.select_related("newsletter").filter(message_id=message_id)
                .first() if message_id else None)
    if delivery is None:
        log.info("%s %s event for an unknown message %r", esp_name, event.event_type,
                 message_id)
        return
    now = event.timestamp or timezone.now()
    kind = event.event_type
    if kind == "bounced":
        Delivery.objects.filter(pk=delivery.pk, bounced_at__isnull=True).update(bounced_at=now)
    elif kind == "complained":
        Delivery.objects.filter(pk=delivery.pk, complained_at__isnull=True).update(
            complained_at=now)
        person = Person.objects.filter(pk=delivery.person_id).first()
        if person and person.newsletter_consent:
            consent_record(person=person, channel=Consent.Channel.NEWSLETTER, granted=False,
                           lawful_basis=Consent.Basis.CONSENT,
                           source=_("Marked the newsletter as spam (%(provider)s)")
                           % {"provider": esp_name}, by=None)
    elif kind == "unsubscribed":
        services.unsubscribe(delivery, how=esp_name)
    elif kind == "opened":
        services.delivery_opened(delivery, now)
    elif kind == "rejected" or kind == "failed":
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, error=(event.description or kind)[:500])


def _webhook_views():
    from anymail.webhooks import brevo, mailgun, mailjet, postmark, sendgrid, sparkpost

    return {
        "brevo": brevo.BrevoTrackingWebhookView.as_view(),
        "mailgun": mailgun.MailgunTrackingWebhookView.as_view(),
        "mailjet": mailjet.MailjetTrackingWebhookView.as_view(),
        "postmark": postmark.PostmarkTrackingWebhookView.as_view(),
        "sendgrid": sendgrid.SendGridTrackingWebhookView.as_view(),
        "sparkpost": sparkpost.SparkPostTrackingWebhookView.as_view(),
    }


@csrf_exempt
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """anymail's webhook view for the provider, with a malformed payload answered 400 (and
    logged) rather than a server error."""
    view = _webhook_views().get(provider)
    if view is None:
        raise Http404
    try:
        return view(request)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        log.warning("Malformed %s webhook payload rejected: %s", provider, error)
        return HttpResponseBadRequest("malformed payload")

"""Project-wide pages: the home page per role, language switching, health and errors."""

import sys

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from circles.models import Membership, Office, OfficerRole, User
from tsgcrm import counts

from .celery import app as celery_app


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    offices = Office.objects.visible_to(user)
    context: dict = {"user_office": user.office}
    if user.is_office_lead or user.is_network_admin:
        context["offices"] = (
            offices.select_related("parent")
            .annotate(
                people=Count("members", filter=Q(members__is_active=True)),
                consultants=Count(
                    "members", filter=Q(members__is_active=True, members__is_consultant=True)
                ),
            )
            .order_by("parent__name", "name")
        )
    if user.office_id:
        context["colleagues"] = (
            User.objects.filter(office_id=user.office_id, is_active=True)
            .exclude(pk=user.pk)
            .only("first_name", "last_name", "email", "is_consultant", "is_secretary",
                  "is_office_lead", "is_network_admin")[:12]
        )
    if user.is_consultant:
        from pipeline.agenda.selectors import my_day
        from pipeline.models import Deal

        context["my_day"] = my_day(user)
        # Counted over all the person's deals: cached like the board's totals, until a
        # deal of their office changes (or the day does).
        key = (f"my-deals:{user.pk}:{timezone.localdate()}:"
               f"{counts.versions_key('deals', [user.office_id] if user.office_id else [])}")
        context["my_deals"] = cache.get(key)
        if context["my_deals"] is None:
            context["my_deals"] = Deal.objects.filter(owner=user).aggregate(
                open=Count("pk", filter=Q(status=Deal.Status.OPEN)),
                overdue=Count("pk", filter=Q(status=Deal.Status.OPEN,
                                             next_step_date__lt=timezone.localdate())),
                delivering=Count("pk", filter=Q(status=Deal.Status.WON, phase__number=6)),
            )
            cache.set(key, context["my_deals"], counts.TTL)
    roles: dict[int, list[str]] = {}
    for holding in OfficerRole.objects.held().filter(person=user).only("circle_id", "role"):
        roles.setdefault(holding.circle_id, []).append(holding.get_role_display())
    context["my_circles"] = [
        (m.circle, roles.get(m.circle_id, []))
        for m in Membership.objects.current().filter(person=user, circle__active=True)
        .select_related("circle").order_by("circle__name")
    ]
    return render(request, "home.html", context)


class LoginView(auth_views.LoginView):
    """Log in, and carry on in the language saved on the person's account."""

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, which also remembers the choice on the person's account."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers and the broker accepts a connection."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """The error page. When the database (or the cache in front of the sessions) cannot be
    reached, say so with a 503 and a Retry-After, so people and load balancers wait and
    retry; the app reconnects by itself once it is back. Rendered without a request
    context: nothing here may touch the database."""
    from django.template import loader

    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)

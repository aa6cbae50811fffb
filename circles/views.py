from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Office, User


def _get_office_for_user(request: HttpRequest, pk: int) -> Office:
    """The office, if the person may see it; a 404 otherwise (never a 403 that confirms it)."""
    return get_object_or_404(
        Office.objects.visible_to(request.user).select_related("parent"), pk=pk
    )


@login_required
def office_list(request: HttpRequest) -> HttpResponse:
    offices = (
        Office.objects.visible_to(request.user)
        .select_related("parent")
        .annotate(people=Count("members", filter=Q(members__is_active=True)))
        .order_by("country", "parent__name", "name")
    )
    return render(request, "circles/office_list.html", {"offices": offices})


@login_required
def office_detail(request: HttpRequest, pk: int) -> HttpResponse:
    office = _get_office_for_user(request, pk)
    members = User.objects.filter(office=office, is_active=True).order_by("last_name", "first_name")
    sub_offices = (
        Office.objects.visible_to(request.user)
        .filter(parent=office)
        .annotate(people=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(
            Prefetch("members", queryset=User.objects.filter(is_office_lead=True, is_active=True),
                     to_attr="leads")
        )
    )
    return render(
        request,
        "circles/office_detail.html",
        {"office": office, "members": members, "sub_offices": sub_offices},
    )

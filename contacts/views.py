import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from certification.permissions import enrolments_visible_to
from circles.models import Circle, Office, User, visible_office_ids
from pipeline.agenda.models import TASK_LINE
from tsgcrm import counts
from tsgcrm.db import custom_plans, generic_plans
from tsgcrm.exports import csv_response
from tsgcrm.forms import add_service_errors
from tsgcrm.pagination import Paginator as CountedPaginator

from .forms import (
    ConsentForm,
    ContactFilterForm,
    OrganisationForm,
    PersonaForm,
    PersonaObjectionFormSet,
    PersonForm,
    QuickAddForm,
    ReferralForm,
)
from .models import Affiliation, Consent, Organisation, Person, Persona, normalise_phone
from .selectors import (
    PERSON_ROW_FIELDS,
    likely_duplicates,
    person_rows_html,
    search,
    search_counted,
)
from .services import (
    consent_record,
    consent_status,
    person_create,
    person_erase,
    person_export,
    person_merge,
    person_refer,
    person_update,
)

PAGE_SIZE = 25
SORTS = {"name": ("last_name", "first_name", "pk"), "-created": ("-created_at", "-pk"),
         "created": ("created_at", "pk"), "city": ("city", "last_name", "pk"),
         "kind": ("kind", "last_name", "pk")}


def _people_for_user(request: HttpRequest) -> QuerySet[Person]:
    return Person.objects.visible_to(request.user)


def _get_person_for_user(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(
        _people_for_user(request).select_related("office", "owner", "persona"), pk=pk)


def _own_office_ids(user: User) -> set[int]:
    return set(visible_office_ids(user))


def _require_owning_office(request: HttpRequest, person: Person) -> None:
    """Erase and merge belong to the office that owns the contact, not to offices it was
    passed to."""
    if person.office_id not in _own_office_ids(request.user):
        raise PermissionDenied


def _home_office(request: HttpRequest) -> Office:
    office = request.user.office
    if office is None:
        raise PermissionDenied(_("Only people who work in an office keep contacts."))
    return office


def filtered_people(request: HttpRequest) -> tuple[ContactFilterForm, QuerySet[Person],
                                                  int | None]:
    """The form, the people it selects, and their number when the search counted them."""
    offices = Office.objects.visible_to(request.user)
    form = ContactFilterForm(request.GET or None, offices=offices)
    people = _people_for_user(request)
    sort, count = "name", None
    if form.is_valid():
        data = form.cleaned_data
        for field in ("kind", "lead_source", "language"):
            if data.get(field):
                people = people.filter(**{field: data[field]})
        if data.get("owner"):
            people = people.filter(owner=data["owner"])
        if data.get("tag"):
            people = people.filter(tags=data["tag"])
        if data.get("city"):
            people = people.filter(city__iexact=data["city"].strip())
        sort = data.get("sort") or sort
        if data.get("q"):
            people, count = search_counted(people, data["q"])
            if not data.get("sort"):
                return form, people, count  # best matches first
    return form, people.order_by(*SORTS[sort]), count


@login_required
@vary_on_headers("HX-Request")
def person_list(request: HttpRequest) -> HttpResponse:
    searching = bool(request.GET.get("q", "").strip())
    # Searches keep PostgreSQL's custom plans: how selective a word is decides the plan.
    with custom_plans() if searching else generic_plans():
        form, people, count = filtered_people(request)
        if count is None and not searching:
            count = counts.cached_count(people, scope="people",
                                        offices=visible_office_ids(request.user))
        page = CountedPaginator(people.values_list(*PERSON_ROW_FIELDS), PAGE_SIZE,
                                count=count if count is not None else people.order_by()
                                ).get_page(request.GET.get("page"))
        rows_html = mark_safe(person_rows_html(page.object_list))  # noqa: S308 - escaped
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows_html": rows_html,
               "query": query.urlencode()}
    template = "contacts/person_list.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(request, template, context)


@login_required
def person_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The current filtered list as CSV (UTF-8 with BOM, so spreadsheets open it right)."""
    _form, people, _count = filtered_people(request)
    people = people.select_related("owner", "office").prefetch_related("tags")
    header = ["id", "first_name", "last_name", "email", "phone", "kind", "lead_source",
              "city", "region", "country", "language", "office", "owner", "tags", "created_at"]
    rows = ([p.pk, p.first_name, p.last_name, p.email, p.phone, p.kind, p.lead_source,
             p.city, p.region, p.country.code if p.country else "", p.language,
             p.office.name, str(p.owner or ""), ", ".join(t.name for t in p.tags.all()),
             p.created_at.isoformat()] for p in people.iterator(chunk_size=2000))
    return csv_response("contacts", header, rows)


@login_required
@vary_on_headers("HX-Request")
def person_duplicates(request: HttpRequest) -> HttpResponse:
    """The duplicate warning, shown while a contact is being typed (htmx)."""
    params = request.GET
    phone = ""
    try:
        phone = normalise_phone(params.get("phone", ""),
                                request.user.office.country.code if request.user.office
                                else None)
    except ValidationError:
        pass
    exclude = params.get("exclude", "")
    duplicates = likely_duplicates(
        _people_for_user(request), email=params.get("email", ""), phone=phone,
        first_name=params.get("first_name", ""), last_name=params.get("last_name", ""),
        organisation=params.get("organisation_name", ""),
        exclude_pk=int(exclude) if exclude.isdigit() else None)
    return render(request, "contacts/_duplicates.html",
                  {"duplicates": duplicates, "exclude": exclude})


@login_required
def person_create_view(request: HttpRequest) -> HttpResponse:
    office = _home_office(request)
    form = PersonForm(request.POST or None, office=office,
                      initial={"owner": request.user, "country": office.country})
    if request.method == "POST" and form.is_valid():
        extra = form.extra()
        person = person_create(office=office, by=request.user, data=form.cleaned_data,
                               tags=extra["tags"], organisation_name=extra["organisation_name"],
                               job_title=extra["job_title"],
                               decision_power=extra["decision_power"])
        messages.success(request, _("%(name)s was added.") % {"name": person})
        return redirect(person)
    return render(request, "contacts/person_form.html", {"form": form})


@login_required
def quick_add(request: HttpRequest) -> HttpResponse:
    office = _home_office(request)
    form = QuickAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organisation = data.pop("organisation_name")
        try:
            person = person_create(office=office, by=request.user, data=data,
                                   organisation_name=organisation)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": person})
            if request.htmx:
                return HttpResponseClientRedirect(person.get_absolute_url())
            return redirect(person)
    template = "contacts/quick_add.html"
    if request.htmx:
        template += "#quick-add-form"
    return render(request, template, {"form": form})


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(
        _people_for_user(request).select_related("office", "owner", "persona",
                                                 "newsletter_reader")
        .prefetch_related(
            "tags",
            Prefetch("affiliations",
                     queryset=Affiliation.objects.select_related("organisation")),
            Prefetch("consents", queryset=Consent.objects.select_related("recorded_by")),
            "referrals__from_office", "referrals__to_office", "referrals__by", "merges__by",
            "deals__phase", "interactions", "tasks__assignee"),
        pk=pk)
    owning = person.office_id in _own_office_ids(request.user)
    context = {
        "person": person, "owning": owning,
        "consents": [(label, status) for (value, label), status in zip(
            Consent.Channel.choices, consent_status(person).values(), strict=True)],
        "consent_form": ConsentForm(), "referral_form": ReferralForm(person=person),
        # What they did with newsletters (kept by the newsletters app).
        "reader": getattr(person, "newsletter_reader", None),
        "newsletters_received": person.newsletter_deliveries.filter(sent_at__isnull=False)
        .select_related("newsletter").order_by("-sent_at")[:5],
        "duplicates": likely_duplicates(
            _people_for_user(request), email=person.email, phone=person.phone_normalised,
            first_name=person.first_name, last_name=person.last_name,
            organisation=next((a.organisation.name for a in person.affiliations.all()), ""),
            exclude_pk=person.pk) if owning else [],
        "enrolments": enrolments_visible_to(request.user).filter(person=person)
        .select_related("path", "current_stage"),
    }
    return render(request, "contacts/person_detail.html", context)


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    form = PersonForm(request.POST or None, instance=person, office=person.office)
    if request.method == "POST" and form.is_valid():
        extra = form.extra()
        person_update(person=person, by=request.user, data=form.cleaned_data,
                      tags=extra["tags"], organisation_name=extra["organisation_name"],
                      job_title=extra["job_title"], decision_power=extra["decision_power"])
        messages.success(request, _("Changes saved."))
        return redirect(person)
    return render(request, "contacts/person_form.html", {"form": form, "person": person})


@login_required
@require_POST
def person_consent(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        consent_record(person=person, by=request.user, **form.cleaned_data)
        messages.success(request, _("Consent recorded."))
    else:
        messages.error(request, _("The consent was not recorded: %(errors)s")
                       % {"errors": "; ".join(e for errs in form.errors.values() for e in errs)})
    return redirect(f"{person.get_absolute_url()}#consent")


@login_required
@require_POST
def person_refer_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    _require_owning_office(request, person)
    form = ReferralForm(request.POST, person=person)
    if form.is_valid():
        try:
            referral = person_refer(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s was passed to %(office)s.")
                             % {"name": person, "office": referral.to_office})
    else:
        messages.error(request, _("Choose the office to pass the contact to."))
    return redirect(person)


@login_required
def person_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    _require_owning_office(request, person)
    response = HttpResponse(json.dumps(person_export(person), indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    name = slugify(str(person)) or "contact"
    response["Content-Disposition"] = f'attachment; filename="{name}-{person.pk}.json"'
    return response


@login_required
def person_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_person_for_user(request, pk)
    _require_owning_office(request, person)
    if request.method == "POST":
        person_erase(person=person, by=request.user)
        messages.success(request, _("The contact was erased: their personal data is gone, "
                                    "the aggregates keep counting them."))
        return redirect("contacts:person_list")
    return render(request, "contacts/person_erase.html", {"person": person})


@login_required
def person_merge_view(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    kept = _get_person_for_user(request, pk)
    removed = _get_person_for_user(request, other_pk)
    _require_owning_office(request, kept)
    _require_owning_office(request, removed)
    if request.method == "POST":
        try:
            person_merge(kept=kept, removed=removed, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(kept)
        messages.success(request, _("Merged: %(name)s now holds everything of both.")
                         % {"name": kept})
        return redirect(kept)
    fields = ["first_name", "last_name", "email", "phone", "kind", "lead_source", "city",
              "language", "notes"]
    rows = [(Person._meta.get_field(f).verbose_name, getattr(kept, f), getattr(removed, f))
            for f in fields]
    return render(request, "contacts/person_merge.html",
                  {"kept": kept, "removed": removed, "rows": rows})


# --- Organisations ------------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    orgs = Organisation.objects.visible_to(request.user).select_related("office")
    # PostgreSQL text cannot hold NUL: a NUL in the address bar would be a server error.
    query = request.GET.get("q", "").replace("\x00", "")
    orgs = search(orgs, query) if query.strip() else orgs.order_by("name")
    page = Paginator(orgs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "contacts/organisation_list.html", {"page": page, "q": query})


def _get_organisation_for_user(request: HttpRequest, pk: int) -> Organisation:
    return get_object_or_404(
        Organisation.objects.visible_to(request.user).select_related("office", "owner"), pk=pk)


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _get_organisation_for_user(request, pk)
    affiliations = (Affiliation.objects.filter(organisation=org,
                                               person__in=_people_for_user(request))
                    .select_related("person").order_by("person__last_name"))
    tasks = (org.tasks.select_related(*TASK_LINE)
             .order_by("status", "-done_at", "due_date")[:30])
    return render(request, "contacts/organisation_detail.html",
                  {"organisation": org, "affiliations": affiliations, "tasks": tasks})


@login_required
def organisation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    org = _get_organisation_for_user(request, pk) if pk else None
    office = org.office if org else _home_office(request)
    form = OrganisationForm(request.POST or None, instance=org, office=office,
                            initial={"owner": request.user, "country": office.country})
    if request.method == "POST" and form.is_valid():
        from .services import organisation_save

        org = organisation_save(organisation=form.save(commit=False))
        messages.success(request, _("Saved."))
        return redirect(org)
    return render(request, "contacts/organisation_form.html", {"form": form,
                                                               "organisation": org})


# --- Buyer personas ------------------------------------------------------------------


def _personas_for_user(request: HttpRequest) -> QuerySet[Persona]:
    return Persona.objects.filter(office__in=Office.objects.visible_to(request.user))


@login_required
def persona_list(request: HttpRequest) -> HttpResponse:
    personas = _personas_for_user(request).select_related("office", "adopted_by")
    return render(request, "contacts/persona_list.html", {"personas": personas})


@login_required
def persona_detail(request: HttpRequest, pk: int) -> HttpResponse:
    persona = get_object_or_404(_personas_for_user(request).select_related(
        "office", "adopted_by").prefetch_related("objections"), pk=pk)
    return render(request, "contacts/persona_detail.html", {"persona": persona})


@login_required
def persona_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    persona = get_object_or_404(_personas_for_user(request), pk=pk) if pk else None
    office = persona.office if persona else _home_office(request)
    circles = Circle.objects.visible_to(request.user).filter(active=True)
    form = PersonaForm(request.POST or None, instance=persona, office=office, circles=circles)
    formset = PersonaObjectionFormSet(request.POST or None, instance=persona or Persona())
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        from .services import persona_save

        persona = persona_save(form=form, formset=formset)
        messages.success(request, _("Persona saved."))
        return redirect(persona)
    return render(request, "contacts/persona_form.html",
                  {"form": form, "formset": formset, "persona": persona})

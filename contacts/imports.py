"""CSV and Excel import of people: upload, map columns, preview every row, then commit
all rows or none.

The row work (typing, validation, bulk saving) is django-import-export's; this module adds
the column mapping, duplicate detection against the office's contacts and within the file,
and the all-or-nothing rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources

from circles.models import Office, User
from tsgcrm import counts

from .models import (
    Affiliation,
    Kind,
    LeadSource,
    Organisation,
    Person,
    normalise_phone,
    normalise_text,
)

IMPORT_DIR = Path(settings.MEDIA_ROOT) / "imports"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

# The fields a column can go to, and header spellings recognised without help.
TARGETS = {
    "first_name": (gettext_lazy("First name"), ["first name", "firstname", "given name",
                                                "prénom", "prenom", "nombre"]),
    "last_name": (gettext_lazy("Last name"), ["last name", "lastname", "surname",
                                              "family name", "nom", "apellido", "apellidos"]),
    "email": (gettext_lazy("Email"), ["email", "e-mail", "mail", "courriel", "correo"]),
    "phone": (gettext_lazy("Phone"), ["phone", "telephone", "téléphone", "tel", "mobile",
                                      "teléfono", "telefono"]),
    "organisation": (gettext_lazy("Organisation"), ["organisation", "organization", "company",
                                                    "entreprise", "société", "empresa"]),
    "job_title": (gettext_lazy("Job title"), ["job title", "title", "position", "fonction",
                                              "poste", "cargo"]),
    "city": (gettext_lazy("City"), ["city", "town", "ville", "ciudad"]),
    "region": (gettext_lazy("Region"), ["region", "région", "state", "provincia"]),
    "country": (gettext_lazy("Country (ISO code)"), ["country", "pays", "país", "pais"]),
    "language": (gettext_lazy("Language"), ["language", "langue", "idioma"]),
    "kind": (gettext_lazy("Kind"), ["kind", "type", "status"]),
    "lead_source": (gettext_lazy("Lead source"), ["lead source", "source", "origine",
                                                  "origen"]),
    "notes": (gettext_lazy("Notes"), ["notes", "note", "comment", "comments", "remarques"]),
}


def guess_target(header: str) -> str:
    wanted = normalise_text(header).replace("_", " ").strip()
    for target, (_label, spellings) in TARGETS.items():
        if wanted == target.replace("_", " ") or wanted in {normalise_text(s)
                                                           for s in spellings}:
            return target
    return ""


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
    return lookup


class PersonResource(resources.ModelResource):
    """One row, one new person of the importing office."""

    class Meta:
        model = Person
        fields = ("first_name", "last_name", "email", "phone", "city", "region", "country",
                  "language", "kind", "lead_source", "notes")
        import_id_fields = ()
        force_init_instance = True  # an import only adds people
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        clean_model_instances = True
        report_skipped = True

    def __init__(self, *, office: Office, owner: User, visible_people) -> None:
        super().__init__()
        self.office, self.owner, self.visible_people = office, owner, visible_people
        self.duplicates: dict[int, str] = {}
        self.links: list[tuple[Person, str, str]] = []
        self.kinds = _choice_lookup(Kind.choices)
        self.sources = _choice_lookup(LeadSource.choices)

    def before_import(self, dataset, **kwargs) -> None:
        known = self.visible_people.values_list("email", "phone_normalised")
        self.known_emails = {e.lower() for e, _p in known if e}
        self.known_phones = {p for _e, p in known if p}

    def init_instance(self, row=None) -> Person:
        return Person(office=self.office, owner=self.owner)

    def before_import_row(self, row, **kwargs) -> None:
        self.row_number = kwargs.get("row_number")
        for key in ("kind", "lead_source"):
            raw = (row.get(key) or "").strip()
            if raw:
                lookup = self.kinds if key == "kind" else self.sources
                row[key] = lookup.get(raw.lower(), raw)
        if not (row.get("kind") or "").strip():
            row["kind"] = Kind.PROSPECT
        if (row.get("country") or "").strip():
            row["country"] = row["country"].strip().upper()
        if (row.get("language") or "").strip():
            row["language"] = row["language"].strip().lower()[:2]
        for key, value in list(row.items()):
            if isinstance(value, str):
                row[key] = value.strip()

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        if import_validation_errors:
            return False
        email = (row.get("email") or "").lower()
        try:
            phone = normalise_phone(row.get("phone") or "", self.office.country.code)
        except ValidationError:
            return False  # reported by validation
        reason = ""
        if email and email in self.known_emails:
            reason = _("same email as an existing contact")
        elif phone and phone in self.known_phones:
            reason = _("same phone number as an existing contact")
        if reason:
            self.duplicates[self.row_number] = reason
            return True
        if email:
            self.known_emails.add(email)  # a second row with it is a duplicate in the file
        if phone:
            self.known_phones.add(phone)
        return False

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if not instance.email and not instance.phone:
            errors.setdefault("email", []).append(_("Give an email or a phone number."))
        try:
            # The office and owner come from the import, not from the file: checking that
            # they exist would cost two queries per row (a third of a large import).
            instance.full_clean(exclude=[*errors, "office", "owner", "persona"],
                                validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs) -> None:
        organisation = (row.get("organisation") or "").strip()
        instance._organisation_names = [organisation] if organisation else []
        instance.refresh_search_text()
        if organisation:
            self.links.append((instance, organisation, (row.get("job_title") or "")[:120]))

    def after_import(self, dataset, result, **kwargs) -> None:
        if kwargs.get("dry_run") or not self.links:
            return
        names = {normalise_text(name): name for _p, name, _t in self.links}
        orgs = {normalise_text(o.name): o for o in
                Organisation.objects.filter(office=self.office)}
        new = [Organisation(office=self.office, owner=self.owner, name=name[:200],
                            search_text=normalise_text(name))
               for key, name in names.items() if key not in orgs]
        for org in Organisation.objects.bulk_create(new):
            orgs[normalise_text(org.name)] = org
        Affiliation.objects.bulk_create([
            Affiliation(person=person, organisation=orgs[normalise_text(name)], job_title=title)
            for person, name, title in self.links], batch_size=1000)


@dataclass
class RowReport:
    number: int
    status: str  # new, duplicate, error
    values: dict
    messages: list[str]

    @property
    def summary(self) -> str:
        return " · ".join(str(v) for v in self.values.values() if v not in (None, ""))


class UploadForm(forms.Form):
    ENCODINGS = [("utf-8-sig", gettext_lazy("UTF-8 (recommended)")),
                 ("cp1252", gettext_lazy("Windows (Western European)")),
                 ("latin-1", gettext_lazy("ISO-8859-1 (Latin-1)"))]
    file = forms.FileField(label=gettext_lazy("CSV or Excel file"),
                           help_text=gettext_lazy("A first row of column names, then one "
                                                  "person per row. Up to 10 MB."))
    encoding = forms.ChoiceField(label=gettext_lazy("Text encoding (CSV only)"),
                                 choices=ENCODINGS, initial="utf-8-sig")

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if not upload:
            return data
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError({"file": _("The file is larger than 10 MB.")})
        raw = upload.read()
        name = upload.name.lower()
        try:
            if name.endswith(".xlsx"):
                dataset = tablib.Dataset().load(raw, format="xlsx")
            else:
                try:
                    text = raw.decode(data.get("encoding") or "utf-8-sig")
                except UnicodeDecodeError as error:
                    raise ValidationError({"encoding": _(
                        "The file is not in this encoding (the bytes at position %(pos)d "
                        "do not fit). Save it as “CSV UTF-8” or choose the Windows "
                        "encoding.") % {"pos": error.start}}) from error
                dataset = tablib.Dataset().load(text, format="csv")
        except ValidationError:
            raise
        except tablib.InvalidDimensions as error:
            raise ValidationError({"file": _("A row has more or fewer columns than the "
                                             "header row.")}) from error
        except Exception as error:  # noqa: BLE001 - any parsing failure is the file's
            raise ValidationError({"file": _("This file could not be read as CSV or Excel "
                                             "(.xlsx).")}) from error
        if not dataset.headers or not any(h and str(h).strip() for h in dataset.headers):
            raise ValidationError({"file": _("The first row must name the columns.")})
        if len(dataset) == 0:
            raise ValidationError({"file": _("The file has no rows under its header.")})
        if len(dataset) > MAX_ROWS:
            raise ValidationError({"file": _("At most %(max)d rows per import.")
                                   % {"max": MAX_ROWS}})
        data["dataset"] = dataset
        return data


def mapping_form_class(headers: list[str]) -> type[forms.Form]:
    choices = [("", _("— ignore this column —"))] + [(k, v[0]) for k, v in TARGETS.items()]
    fields = {f"col_{i}": forms.ChoiceField(label=str(header), choices=choices,
                                             required=False)
              for i, header in enumerate(headers)}

    def clean(self) -> dict:
        data = forms.Form.clean(self)
        chosen = [v for v in data.values() if v]
        doubles = {v for v in chosen if chosen.count(v) > 1}
        if doubles:
            raise ValidationError(_("Each field can take one column only: %(fields)s.")
                                  % {"fields": ", ".join(str(TARGETS[d][0]) for d in doubles)})
        if "last_name" not in chosen:
            raise ValidationError(_("Choose the column that holds the last name."))
        if "email" not in chosen and "phone" not in chosen:
            raise ValidationError(_("Choose the column that holds the email or the phone."))
        return data

    return type("MappingForm", (forms.Form,), {**fields, "clean": clean})


def run_import(*, dataset: tablib.Dataset, mapping: dict[int, str], office: Office,
               owner: User, visible_people, commit: bool) -> tuple[list[RowReport], bool]:
    """Import (or, with commit=False, only check) every row. Returns one report per row
    and whether anything failed; on commit, any failure rolls the whole import back."""
    mapped = tablib.Dataset(headers=[mapping[i] for i in sorted(mapping)])
    for row in dataset:
        mapped.append([row[i] for i in sorted(mapping)])
    resource = PersonResource(office=office, owner=owner, visible_people=visible_people)
    with transaction.atomic(), counts.bulk("people", office.pk):
        result = resource.import_data(mapped, dry_run=not commit, use_transactions=True,
                                      raise_errors=False)
        failed = result.has_errors() or result.has_validation_errors()
        if failed or not commit:
            transaction.set_rollback(True)
    reports: list[RowReport] = []
    invalid = {row.number: row for row in result.invalid_rows}
    errors = dict(result.row_errors())
    for number, values in enumerate(mapped.dict, 1):
        if number in invalid:
            messages_ = [f"{TARGETS.get(field, (field,))[0]}: {' '.join(errs)}"
                         if field != "__all__" else " ".join(errs)
                         for field, errs in invalid[number].error_dict.items()]
            reports.append(RowReport(number, "error", values, messages_))
        elif number in errors:
            reports.append(RowReport(number, "error", values,
                                     [str(e.error) for e in errors[number]]))
        else:
            reports.append(RowReport(number, "new", values, []))
    for report in reports:  # skipped rows: the resource remembers why
        reason = resource.duplicates.get(report.number)
        if reason and report.status == "new":
            report.status, report.messages = "duplicate", [reason]
    return reports, failed


# --- Views ------------------------------------------------------------------------------


def _stored_dataset(request: HttpRequest, token: str) -> tuple[tablib.Dataset, str]:
    """The uploaded file of this session's import `token` (404 for anyone else's)."""
    entry = request.session.get("imports", {}).get(token)
    if not entry:
        raise Http404
    path = IMPORT_DIR / f"{token}.csv"
    if not path.exists():
        raise Http404
    return tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv"), entry["name"]


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    if request.user.office is None:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = uuid.uuid4().hex
        IMPORT_DIR.mkdir(parents=True, exist_ok=True)
        (IMPORT_DIR / f"{token}.csv").write_text(form.cleaned_data["dataset"].export("csv"),
                                                 encoding="utf-8")
        imports = request.session.get("imports", {})
        imports[token] = {"name": form.cleaned_data["file"].name}
        request.session["imports"] = imports
        return redirect("contacts:import_review", token=token)
    return render(request, "contacts/import_upload.html", {"form": form})


@login_required
def import_review(request: HttpRequest, token: str) -> HttpResponse:
    from .views import _people_for_user

    dataset, name = _stored_dataset(request, token)
    headers = [str(h or "") for h in dataset.headers]
    MappingForm = mapping_form_class(headers)  # noqa: N806
    if request.method == "POST":
        form = MappingForm(request.POST)
    else:  # first visit: check the file against the guessed mapping straight away
        form = MappingForm({f"col_{i}": guess_target(h) for i, h in enumerate(headers)})
    reports, failed, imported = [], True, False
    if form.is_bound and form.is_valid():
        mapping = {i: form.cleaned_data[f"col_{i}"] for i in range(len(headers))
                   if form.cleaned_data[f"col_{i}"]}
        commit = request.method == "POST" and "confirm" in request.POST
        reports, failed = run_import(dataset=dataset, mapping=mapping,
                                     office=request.user.office, owner=request.user,
                                     visible_people=_people_for_user(request), commit=commit)
        if commit and not failed:
            created = sum(1 for r in reports if r.status == "new")
            skipped = sum(1 for r in reports if r.status == "duplicate")
            (IMPORT_DIR / f"{token}.csv").unlink(missing_ok=True)
            imports = request.session.get("imports", {})
            imports.pop(token, None)
            request.session["imports"] = imports
            messages.success(request, _("%(created)d people imported; %(skipped)d duplicates "
                                        "left out.") % {"created": created, "skipped": skipped})
            return redirect("contacts:person_list")
        if commit and failed:
            messages.error(request, _("Nothing was imported: fix the rows in error below "
                                      "(in the file, then upload it again), or leave their "
                                      "column out."))
    counts = {status: sum(1 for r in reports if r.status == status)
              for status in ("new", "duplicate", "error")}
    return render(request, "contacts/import_review.html", {
        "form": form, "reports": reports[:500], "counts": counts, "failed": failed,
        "name": name, "token": token, "total": len(dataset), "imported": imported,
        "columns": [TARGETS[f][0] for f in (form.cleaned_data.values()
                                             if form.is_bound and form.is_valid() else [])
                    if f],
    })

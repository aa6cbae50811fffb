"""The network's organisation: offices, sub-offices and the people who work in them."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import get_supported_language_variant
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

CURRENCIES = [
    ("EUR", _("Euro (EUR)")),
    ("GBP", _("Pound sterling (GBP)")),
    ("CHF", _("Swiss franc (CHF)")),
    ("CAD", _("Canadian dollar (CAD)")),
    ("USD", _("US dollar (USD)")),
]
# The network works in these languages; an office may list any of them.
OFFICE_LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish")),
                    ("nl", _("Dutch")), ("de", _("German")), ("pt", _("Portuguese"))]
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime"})


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def validate_languages(value: str) -> None:
    known = {code for code, _name in OFFICE_LANGUAGES}
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if not codes:
        raise ValidationError(_("List at least one language."))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError(
            _("Unknown language code(s): %(codes)s. Use: %(known)s."),
            params={"codes": ", ".join(unknown), "known": ", ".join(sorted(known))},
        )


class OfficeQuerySet(models.QuerySet["Office"]):
    def visible_to(self, user: User) -> OfficeQuerySet:
        """The scoping rule every feature uses.

        A network admin sees every office; an office lead sees their office and its
        sub-offices; everyone else works within their own office only.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_network_admin or user.is_superuser:
            return self.all()
        if user.office_id is None:
            return self.none()
        if user.is_office_lead:
            return self.filter(Q(pk=user.office_id) | Q(parent_id=user.office_id))
        return self.filter(pk=user.office_id)


def visible_office_ids(user: User) -> list[int]:
    """The ids of Office.objects.visible_to(user), read once per request (cached on the
    user object, which lives as long as the request)."""
    cached = getattr(user, "_visible_office_ids", None)
    if cached is None:
        cached = list(Office.objects.visible_to(user).values_list("pk", flat=True))
        user._visible_office_ids = cached
    return cached


class Office(models.Model):
    """A national office of the franchise, or a sub-office of one."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent office"),
        related_name="sub_offices",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Leave empty for a national office; set it for a sub-office."),
    )
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120)
    languages = models.CharField(
        _("languages"),
        max_length=40,
        default="en",
        validators=[validate_languages],
        help_text=_("Language codes the office works in, comma-separated, e.g. “fr,en”."),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sub_office(self) -> bool:
        return self.parent_id is not None

    @property
    def language_list(self) -> list[str]:
        return [c.strip() for c in self.languages.split(",") if c.strip()]

    def language_names(self) -> list[str]:
        names = dict(OFFICE_LANGUAGES)
        return [str(names.get(code, code)) for code in self.language_list]

    def clean(self) -> None:
        self.languages = ",".join(self.language_list)
        if self.parent_id is None:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An office cannot be its own parent.")})
        if self.parent and self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("A sub-office must belong to a national office, not to another "
                             "sub-office.")}
            )
        if self.pk and self.parent and self.sub_offices.exists():
            raise ValidationError(
                {"parent": _("This office has sub-offices of its own, so it cannot become a "
                             "sub-office.")}
            )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True, is_network_admin=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Email login is case-insensitive.
        return self.get(email__iexact=username)

    def visible_to(self, user: User) -> models.QuerySet[User]:
        return self.filter(office__in=Office.objects.visible_to(user))


class User(AbstractBaseUser, PermissionsMixin):
    """A person of the network: a certified expert or candidate, a secretary, a lead, an admin."""

    class Role(models.TextChoices):
        CONSULTANT = "consultant", _("Consultant")
        SECRETARY = "secretary", _("Circle secretary")
        OFFICE_LEAD = "office_lead", _("Office lead")
        NETWORK_ADMIN = "network_admin", _("Network admin")

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        related_name="members",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Every person works in one office. Only network admins may have none."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en",
        help_text=_("Language of the interface and of the emails this person receives."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone],
        help_text=_("Leave empty to use the office's time zone."),
    )
    is_consultant = models.BooleanField(_("consultant"), default=False)
    is_secretary = models.BooleanField(_("circle secretary"), default=False)
    is_office_lead = models.BooleanField(_("office lead"), default=False)
    is_network_admin = models.BooleanField(
        _("network admin"), default=False,
        help_text=_("Sees every office and manages the network in the admin (grants staff and "
                    "superuser status)."),
    )
    is_staff = models.BooleanField(
        _("staff status"), default=False,
        help_text=_("Can log into the admin site. Network admins always can."),
    )
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Unselect this instead of deleting the account."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["office", "is_active"])]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def roles(self) -> list[str]:
        flags = [
            (self.is_consultant, self.Role.CONSULTANT),
            (self.is_secretary, self.Role.SECRETARY),
            (self.is_office_lead, self.Role.OFFICE_LEAD),
            (self.is_network_admin, self.Role.NETWORK_ADMIN),
        ]
        return [role for held, role in flags if held]

    @property
    def role_labels(self) -> list[str]:
        return [str(role.label) for role in self.roles]

    @property
    def effective_time_zone(self) -> str:
        if self.time_zone:
            return self.time_zone
        if self.office_id:
            return self.office.time_zone
        return settings.TIME_ZONE

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()
        if self.office_id is None and not self.is_network_admin:
            raise ValidationError({"office": _("Choose the office this person works in.")})
        if self.language:
            self.language = get_supported_language_variant(self.language)

    def save(self, *args, **kwargs) -> None:
        if self.is_network_admin:
            # Network admins manage the whole network in the Django admin; untick
            # "superuser" as well when taking the role away.
            self.is_staff = True
            self.is_superuser = True
        super().save(*args, **kwargs)


# --- Circles ----------------------------------------------------------------------------


class CircleQuerySet(models.QuerySet["Circle"]):
    def visible_to(self, user: User) -> CircleQuerySet:
        """Network-wide circles, plus the circles of the offices the person may see."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_network_admin or user.is_superuser:
            return self.all()
        return self.filter(
            Q(office__isnull=True) | Q(office_id__in=visible_office_ids(user))
        )


class Circle(models.Model):
    """A circle of the one network tree: the top circle at the root, every other under one."""

    class Kind(models.TextChoices):
        TOP = "top", _("Top circle")
        INTEGRATION = "integration", _("Integration circle")
        DEPARTMENT = "department", _("Department circle")
        SUPPORT = "support", _("Support circle")
        EXPERTS = "experts", _("Experts' circle")
        OTHER = "other", _("Other circle")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.DEPARTMENT)
    aim = models.TextField(_("aim"), blank=True, help_text=_("What the circle exists for."))
    domain = models.TextField(_("domain"), blank=True,
                              help_text=_("What the circle decides on by itself."))
    parent = models.ForeignKey(
        "self", verbose_name=_("next higher circle"), related_name="children",
        on_delete=models.PROTECT, null=True, blank=True,
        help_text=_("The circle this one is double-linked to. Only the top circle has none."),
    )
    office = models.ForeignKey(
        Office, verbose_name=_("office"), related_name="circles", on_delete=models.PROTECT,
        null=True, blank=True, help_text=_("Leave empty for a network-wide circle."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])
    objects = CircleQuerySet.as_manager()

    class Meta:
        verbose_name = _("circle")
        verbose_name_plural = _("circles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="top"),
                                    name="circle_one_top_circle"),
            models.CheckConstraint(
                condition=(Q(kind="top") & Q(parent__isnull=True))
                | (~Q(kind="top") & Q(parent__isnull=False)),
                name="circle_only_top_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("circles:circle_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == self.Kind.TOP:
            if self.parent_id is not None:
                errors["parent"] = _("The top circle is the root of the tree: it has no "
                                     "higher circle.")
            others = Circle.objects.filter(kind=self.Kind.TOP).exclude(pk=self.pk)
            if others.exists():
                errors["kind"] = _("The network already has a top circle (%(name)s); there "
                                   "is only one.") % {"name": others.first().name}
        elif self.parent_id is None:
            errors["parent"] = _("Choose the next higher circle: every circle but the top "
                                 "one sits under another.")
        elif self.pk and self._parent_chain_contains(self.pk):
            errors["parent"] = _("This would make a cycle: %(parent)s sits under this "
                                 "circle.") % {"parent": self.parent.name}
        if errors:
            raise ValidationError(errors)

    def _parent_chain_contains(self, pk: int) -> bool:
        seen: set[int] = set()
        current = self.parent
        while current is not None and current.pk not in seen:
            if current.pk == pk:
                return True
            seen.add(current.pk)
            current = current.parent
        return False


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: date | None = None) -> MembershipQuerySet:
        on = on or timezone.localdate()
        return self.filter(Q(until__isnull=True) | Q(until__gte=on), since__lte=on)


class Membership(models.Model):
    """A person's full membership of a circle, from `since` until `until` (open-ended)."""

    circle = models.ForeignKey(Circle, verbose_name=_("circle"), related_name="memberships",
                               on_delete=models.CASCADE)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                               related_name="memberships", on_delete=models.PROTECT)
    since = models.DateField(_("member since"), default=timezone.localdate)
    until = models.DateField(_("member until"), null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["circle", "person__last_name", "person__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "person"], condition=Q(until__isnull=True),
                                    name="membership_one_open_per_person"),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                                   name="membership_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.circle}"

    def clean(self) -> None:
        if self.until and self.since and self.until < self.since:
            raise ValidationError({"until": _("A membership cannot end before it starts.")})


class OfficerRoleQuerySet(models.QuerySet["OfficerRole"]):
    def held(self) -> OfficerRoleQuerySet:
        """Roles not yet handed over; an expired term still counts, as a breach to fix."""
        return self.filter(ended_on__isnull=True)


class OfficerRole(models.Model):
    """One person holding one officer role in one circle for a term. Rows are never
    deleted: ending a role sets `ended_on`, so the history of who held what stays."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Operational leader")
        FACILITATOR = "facilitator", _("Facilitator")
        SECRETARY = "secretary", _("Secretary")
        SECOND_LINK = "second_link", _("Second link")

    # The operational leader is appointed by the higher circle; the others are elected by
    # the circle for a term, so their term end is required.
    ELECTED = {Role.FACILITATOR, Role.SECRETARY, Role.SECOND_LINK}
    SINGLE_HOLDER = {Role.LEADER, Role.FACILITATOR, Role.SECRETARY}

    circle = models.ForeignKey(Circle, verbose_name=_("circle"), related_name="officer_roles",
                               on_delete=models.CASCADE)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                               related_name="officer_roles", on_delete=models.PROTECT)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    started_on = models.DateField(_("term start"), default=timezone.localdate)
    term_end = models.DateField(_("term end"), null=True, blank=True,
                                help_text=_("Required for elected roles."))
    ended_on = models.DateField(_("handed over on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = OfficerRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("officer role")
        verbose_name_plural = _("officer roles")
        ordering = ["circle", "role", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["circle", "role"],
                condition=Q(ended_on__isnull=True) & ~Q(role="second_link"),
                name="officer_one_holder_per_single_role",
            ),
            models.UniqueConstraint(
                fields=["circle", "role", "person"], condition=Q(ended_on__isnull=True),
                name="officer_no_duplicate_holding",
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=F("started_on")),
                name="officer_term_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["circle", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person} ({self.circle})"

    @property
    def is_elected(self) -> bool:
        return self.role in self.ELECTED

    def term_expired(self, today: date | None = None) -> bool:
        return self.term_end is not None and self.term_end < (today or timezone.localdate())

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.term_end and self.started_on and self.term_end <= self.started_on:
            errors["term_end"] = _("The term must end after it starts.")
        if self.role in self.ELECTED and not self.term_end and not self.ended_on:
            errors["term_end"] = _("An elected role needs a term end date.")
        if self.circle_id and self.person_id and not self.ended_on:
            is_member = Membership.objects.current(self.started_on or timezone.localdate()).filter(
                circle_id=self.circle_id, person_id=self.person_id).exists()
            if not is_member:
                errors["person"] = _("%(person)s is not a member of %(circle)s: only members "
                                     "hold its roles.") % {"person": self.person,
                                                           "circle": self.circle}
        if errors:
            raise ValidationError(errors)


# The circle logbook (meetings, consent decisions, elections) lives in circles/decisions/;
# its models belong to this app.
from .decisions.models import (  # noqa: E402, F401
    AgendaItem,
    Attendance,
    ConsentAnswer,
    Decision,
    Election,
    Meeting,
    Nomination,
    Proposal,
    ProposalVersion,
    ReviewNotice,
    RoundEntry,
)

"""The network's organisation: offices, sub-offices and the people who work in them."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import get_supported_language_variant
from django_countries.fields import CountryField

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

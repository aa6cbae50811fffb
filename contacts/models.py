"""People and organisations an office deals with, their consent, and buyer personas."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from circles.models import Circle, Office, User, visible_office_ids


def normalise_text(value: str) -> str:
    """Lower case without accents: what search matches on ("Málaga" finds "malaga")."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def normalise_phone(value: str, region: str | None = None) -> str:
    """E.164 form of a phone number ("+33612345678"), or "" when there is none.

    Raises ValidationError for something that is not a phone number.
    """
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, (region or "FR").upper())
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("“%(value)s” is not a phone number."),
                              params={"value": value}) from error
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("“%(value)s” is not a possible phone number; add the country "
                                "code, e.g. +33 6 12 34 56 78."), params={"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Kind(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CLIENT = "client", _("Client")
    FORMER_CLIENT = "former_client", _("Former client")
    RELAYER = "relayer", _("Relayer (provider of clients)")
    AMBASSADOR = "ambassador", _("Ambassador or influencer")
    PARTNER = "partner", _("Partner")


class LeadSource(models.TextChoices):
    NEWSLETTER = "newsletter", _("Newsletter")
    BUSINESS_CLUB = "business_club", _("Business club")
    EVENT = "event", _("Event or congress")
    PROVIDER = "provider", _("Training organisation or other provider")
    WEBSITE = "website", _("Web site")
    PURCHASED_LIST = "purchased_list", _("Purchased list")
    REFERRAL = "referral", _("Referral")
    SOCIAL_MEDIA = "social_media", _("Social media")
    FACE_TO_FACE = "face_to_face", _("Face to face")
    OTHER = "other", _("Other")


class PreferredChannel(models.TextChoices):
    BLOG = "blog", _("Blog posts")
    VIDEO = "video", _("Video")
    EMAIL = "email", _("Email")
    CALL = "call", _("Direct call")


class Tag(models.Model):
    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.CASCADE,
                               related_name="tags")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"],
                                               name="tag_unique_per_office")]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user: User):
        """The office's own contacts, and the people another office passed to it.
        Erased people are kept for the aggregates but never listed."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        qs = self.filter(erased_at__isnull=True) if self.model is Person else self
        if user.is_network_admin or user.is_superuser:
            return qs
        offices = visible_office_ids(user)
        scope = Q(office_id__in=offices)
        if self.model is Person:
            # People passed to these offices: few, so listing their ids keeps the query a
            # plain index scan (an OR EXISTS would force a scan of every contact).
            received = list(Referral.objects.filter(to_office_id__in=offices)
                            .values_list("person_id", flat=True)[:5000])
            if received:
                scope |= Q(pk__in=received)
        return qs.filter(scope)


class ContactBase(models.Model):
    """What people and organisations share: owner, reach, place, kind and source."""

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT,
                               related_name="%(class)ss")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owning consultant"),
                              on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_%(class)ss")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices,
                            default=Kind.PROSPECT)
    lead_source = models.CharField(_("lead source"), max_length=20, choices=LeadSource.choices,
                                   blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_normalised = models.CharField(max_length=20, blank=True, editable=False,
                                        db_index=True)
    address = models.TextField(_("address"), blank=True, max_length=500)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True)
    country = CountryField(_("country"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)
    website = models.URLField(_("web site"), blank=True)
    social_profiles = models.TextField(
        _("social profiles"), blank=True, max_length=1000,
        help_text=_("One link per line (LinkedIn, Instagram …)."))
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True,
                                  related_name="%(class)ss")
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.refresh_search_text()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        region = self.country.code if self.country else (
            self.office.country.code if self.office_id else None)
        try:
            self.phone_normalised = normalise_phone(self.phone, region)
        except ValidationError as error:
            raise ValidationError({"phone": error.messages}) from error
        if self.email:
            self.email = self.email.strip().lower()

    def search_parts(self) -> list[str]:
        return [self.email, re.sub(r"\D", "", self.phone_normalised), self.city]

    def refresh_search_text(self) -> None:
        self.search_text = normalise_text(" ".join(p for p in self.search_parts() if p))



class Organisation(ContactBase):
    class Type(models.TextChoices):
        COMPANY = "company", _("Company")
        ASSOCIATION = "association", _("Association")
        COOPERATIVE = "cooperative", _("Cooperative")
        PUBLIC_BODY = "public_body", _("Public body")
        SCHOOL = "school", _("School or training organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=20, choices=Type.choices,
                                default=Type.COMPANY)
    size = models.PositiveIntegerField(_("number of people"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["office", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:organisation_detail", args=[self.pk])

    def search_parts(self) -> list[str]:
        return [self.name, *super().search_parts()]


class Persona(models.Model):
    """A buyer persona, worked out in a team and adopted by consent (seed template)."""

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.CASCADE,
                               related_name="personas")
    name = models.CharField(_("name"), max_length=120)
    situation = models.TextField(_("personal and professional situation"), blank=True)
    demographics = models.TextField(_("demographics"), blank=True)
    behaviour = models.TextField(
        _("behaviour"), blank=True,
        help_text=_("Does this persona prefer blog posts, video, email, direct calls?"))
    objectives = models.TextField(_("objectives"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    what_we_can_do = models.TextField(_("what we can do"), blank=True)
    insights = models.TextField(_("insights"), blank=True,
                                help_text=_("The buyer's own sentences."))
    product_description = models.TextField(_("product description"), blank=True)
    elevator_pitch = models.TextField(_("elevator pitch"), blank=True)
    adopted_by = models.ForeignKey(
        Circle, verbose_name=_("adopted by circle"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="personas",
        help_text=_("The circle whose consent decision adopted this persona."))
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    decision = models.ForeignKey(
        "circles.Decision", verbose_name=_("consent decision"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="personas",
        help_text=_("The decision in the register that adopted this persona."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("buyer persona")
        verbose_name_plural = _("buyer personas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:persona_detail", args=[self.pk])


class ObjectionCategory(models.TextChoices):
    """The categories of objections met while selling (seed 000, "Negotiate objections");
    personas prepare answers to them and deals record them."""

    NEED = "need", _("Need")
    PRODUCT = "product", _("Product")
    MESSENGER = "messenger", _("Messenger")
    PRICE = "price", _("Price")
    TIME = "time", _("Time")


class PersonaObjection(models.Model):
    Category = ObjectionCategory

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="objections")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    objection = models.TextField(_("complaint or objection"))
    answer = models.TextField(_("prepared answer"))

    class Meta:
        verbose_name = _("objection with its answer")
        verbose_name_plural = _("objections with their answers")
        ordering = ["category", "pk"]

    def __str__(self) -> str:
        return self.objection[:60]


class Person(ContactBase):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    organisations = models.ManyToManyField(Organisation, through="Affiliation",
                                           verbose_name=_("organisations"), blank=True,
                                           related_name="people")
    tendencies = models.TextField(_("tendencies"), blank=True, max_length=2000)
    interests = models.TextField(_("interests"), blank=True, max_length=2000)
    opinions = models.TextField(_("opinions"), blank=True, max_length=2000)
    preferred_channel = models.CharField(_("preferred channel"), max_length=10, blank=True,
                                         choices=PreferredChannel.choices)
    persona = models.ForeignKey(Persona, verbose_name=_("buyer persona"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="people")
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    # What the consent records say now about newsletters (kept by Consent's signals): the
    # one column a segment filters on, instead of finding each person's latest records.
    newsletter_consent = models.BooleanField(_("accepts newsletters"), default=False,
                                             editable=False)
    # Names only (and organisations), for typo-tolerant matching: short strings keep
    # trigram similarity cheap.
    name_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name"]
        # The list's sort orders, on live (not erased) people: PostgreSQL walks the
        # index in order and stops after a page, whatever the office's size.
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="person_by_name",
                         condition=Q(erased_at__isnull=True)),
            models.Index(fields=["-created_at", "-id"], name="person_by_created",
                         condition=Q(erased_at__isnull=True)),
            models.Index(fields=["city", "last_name", "id"], name="person_by_city",
                         condition=Q(erased_at__isnull=True)),
            models.Index(fields=["kind", "last_name", "id"], name="person_by_kind",
                         condition=Q(erased_at__isnull=True)),
            models.Index(fields=["office"], name="person_live_by_office",
                         condition=Q(erased_at__isnull=True)),
            models.Index(fields=["email"], name="person_email"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("contacts:person_detail", args=[self.pk])

    def search_parts(self) -> list[str]:
        return [*self.name_parts(), *super().search_parts()]

    def name_parts(self) -> list[str]:
        # The organisations' names are kept in the text by the services that link them.
        orgs = getattr(self, "_organisation_names", None)
        if orgs is None and self.pk:
            orgs = list(self.organisations.values_list("name", flat=True))
            self._organisation_names = orgs
        return [self.first_name, self.last_name, *(orgs or [])]

    def refresh_search_text(self) -> None:
        super().refresh_search_text()
        self.name_text = normalise_text(" ".join(p for p in self.name_parts() if p))


class Affiliation(models.Model):
    class DecisionPower(models.TextChoices):
        NONE = "none", _("No decision power")
        INFLUENCES = "influences", _("Influences the decision")
        DECIDES = "decides", _("Decides")
        BUYS = "buys", _("Decides and holds the budget")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="affiliations",
                                     verbose_name=_("organisation"))
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    decision_power = models.CharField(_("decision power"), max_length=12,
                                      choices=DecisionPower.choices, default=DecisionPower.NONE)

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        constraints = [models.UniqueConstraint(fields=["person", "organisation"],
                                               name="affiliation_unique")]

    def __str__(self) -> str:
        return f"{self.person} · {self.organisation}"


class Consent(models.Model):
    """One recorded opt-in or opt-out, per channel. The latest record per channel rules;
    earlier ones stay as the evidence trail."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        NEWSLETTER = "newsletter", _("Newsletter")
        PHONE = "phone", _("Phone")
        SMS = "sms", _("Text messages")
        POST = "post", _("Post")

    class Basis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        CONTRACT = "contract", _("Contract")
        LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    granted = models.BooleanField(_("may be contacted"))
    lawful_basis = models.CharField(_("lawful basis"), max_length=20, choices=Basis.choices,
                                    default=Basis.CONSENT)
    source = models.CharField(_("source"), max_length=200,
                              help_text=_("Where and how: web form, business card at an "
                                          "event, unsubscribe link …"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["person", "channel", "-recorded_at"])]

    def __str__(self) -> str:
        state = _("opt-in") if self.granted else _("opt-out")
        return f"{self.get_channel_display()}: {state}"

    @staticmethod
    def refresh_newsletter_consent(people, consents=None) -> int:
        """Set `newsletter_consent` of the `people` queryset from their consent records in
        one UPDATE (bulk imports and merges write records without signals). `consents` is
        the Consent model (a migration passes its historical one)."""
        consents = consents or Consent

        def latest(channel):
            return Subquery(consents.objects.filter(person=OuterRef("pk"), channel=channel)
                            .order_by("-recorded_at", "-pk").values("granted")[:1])

        allowed = (Exact(Coalesce(latest("newsletter"), Value(False)), True)
                   & Exact(Coalesce(latest("email"), Value(True)), True))
        return people.update(newsletter_consent=Case(When(allowed, then=Value(True)),
                                                     default=Value(False)))


class Referral(models.Model):
    """An office passing a contact to another office; both see it from then on."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="referrals")
    from_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("from office"))
    to_office = models.ForeignKey(Office, on_delete=models.PROTECT,
                                  related_name="referrals_received",
                                  verbose_name=_("to office"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("passed by"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("passed on"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["to_office", "person"])]

    def __str__(self) -> str:
        return f"{self.person} → {self.to_office}"


class Merge(models.Model):
    """The record of a merge: what the removed duplicate held, who merged, when."""

    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges")
    removed_id = models.PositiveBigIntegerField()
    removed_snapshot = models.JSONField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                           related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.removed_id} → {self.kept}"

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from tsgcrm.admin import RecordAdmin

from .models import (
    Attendance,
    Circle,
    ConsentAnswer,
    Decision,
    Election,
    Meeting,
    Membership,
    Office,
    OfficerRole,
    Proposal,
    ProposalVersion,
    User,
)
from .tasks import send_password_reset_email


class SubOfficeInline(admin.TabularInline):
    model = Office
    fk_name = "parent"
    fields = ("name", "city", "country", "languages", "currency", "time_zone", "active")
    extra = 0
    verbose_name = _("sub-office")
    verbose_name_plural = _("sub-offices")
    show_change_link = True


class MemberInline(admin.TabularInline):
    model = User
    fields = ("email", "first_name", "last_name", "is_consultant", "is_secretary",
              "is_office_lead", "is_active")
    readonly_fields = ("email",)
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request: HttpRequest, obj: Office | None = None) -> bool:
        return False  # people are added from the People page, with a password


class IsSubOfficeFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("national", _("National office")), ("sub", _("Sub-office"))]

    def queryset(self, request, queryset):
        if self.value() == "national":
            return queryset.filter(parent__isnull=True)
        if self.value() == "sub":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "city", "country", "languages", "currency",
                    "people_count", "active")
    list_filter = ("active", IsSubOfficeFilter, "country", "currency")
    search_fields = ("name", "city")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    inlines = [SubOfficeInline, MemberInline]
    actions = ["activate", "deactivate"]
    fieldsets = (
        (None, {"fields": ("name", "parent", "active")}),
        (_("Location"), {"fields": ("country", "city", "time_zone")}),
        (_("Working languages and currency"), {"fields": ("languages", "currency")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Office]:
        return super().get_queryset(request).annotate(
            _people=Count("members", filter=Q(members__is_active=True))
        )

    @admin.display(description=_("people"), ordering="_people")
    def people_count(self, obj: Office) -> int:
        return obj._people

    @admin.action(description=_("Mark selected offices active"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Office]) -> None:
        count = queryset.update(active=True)
        self.message_user(request, ngettext("%d office activated.", "%d offices activated.",
                                            count) % count, messages.SUCCESS)

    @admin.action(description=_("Mark selected offices inactive"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Office]) -> None:
        count = queryset.update(active=False)
        self.message_user(request, ngettext("%d office deactivated.",
                                            "%d offices deactivated.", count) % count,
                          messages.SUCCESS)


class PersonCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class PersonChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = PersonCreationForm
    form = PersonChangeForm
    ordering = ("last_name", "first_name")
    list_display = ("email", "first_name", "last_name", "office", "role_summary", "language",
                    "is_active", "last_login")
    list_filter = ("is_active", "is_consultant", "is_secretary", "is_office_lead",
                   "is_network_admin", "office", "language")
    search_fields = ("email", "first_name", "last_name", "office__name")
    list_select_related = ("office",)
    autocomplete_fields = ("office",)
    readonly_fields = ("last_login", "date_joined")
    actions = ["send_password_reset", "deactivate"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "phone", "language", "time_zone")}),
        (_("Office and roles"), {"fields": ("office", "is_consultant", "is_secretary",
                                             "is_office_lead", "is_network_admin")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                  "user_permissions"), "classes": ("collapse",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (
            "email", "first_name", "last_name", "office", "language", "is_consultant",
            "is_secretary", "is_office_lead", "is_network_admin", "password1", "password2",
        )}),
    )

    @admin.display(description=_("roles"))
    def role_summary(self, obj: User) -> str:
        return ", ".join(obj.role_labels) or "—"

    @admin.action(description=_("Email a password-reset link to the selected people"))
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        site_url = request.build_absolute_uri("/")
        ids = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        for user_id in ids:
            transaction.on_commit(
                lambda uid=user_id: send_password_reset_email.delay(uid, site_url)
            )
        self.message_user(request, ngettext("A reset link is on its way to %d person.",
                                            "Reset links are on their way to %d people.",
                                            len(ids)) % len(ids), messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected people"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(pk=request.user.pk).update(is_active=False)
        self.message_user(request, ngettext("%d person deactivated.", "%d people deactivated.",
                                            count) % count, messages.SUCCESS)


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("person", "since", "until")
    autocomplete_fields = ("person",)
    extra = 0


class OfficerRoleInline(admin.TabularInline):
    model = OfficerRole
    fields = ("role", "person", "started_on", "term_end", "ended_on")
    autocomplete_fields = ("person",)
    extra = 0
    verbose_name_plural = _("officer roles (add the person as a member first)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfficerRole]:
        return super().get_queryset(request).select_related("person")


@admin.register(Circle)
class CircleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "parent", "office", "member_count", "active")
    list_filter = ("kind", "active", "office")
    search_fields = ("name", "aim", "domain", "office__name")
    list_select_related = ("parent", "office")
    autocomplete_fields = ("parent", "office")
    inlines = [MembershipInline, OfficerRoleInline]
    fieldsets = (
        (None, {"fields": ("name", "kind", "parent", "office", "active")}),
        (_("Aim and domain"), {"fields": ("aim", "domain")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Circle]:
        return super().get_queryset(request).annotate(
            _members=Count("memberships", filter=Q(memberships__until__isnull=True)))

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj: Circle) -> int:
        return obj._members

    def view_on_site(self, obj: Circle) -> str:
        return obj.get_absolute_url()


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("person", "circle", "since", "until")
    list_filter = ("circle__kind", "circle__office")
    search_fields = ("person__first_name", "person__last_name", "person__email", "circle__name")
    list_select_related = ("person", "circle")
    autocomplete_fields = ("person", "circle")
    date_hierarchy = "since"


@admin.register(OfficerRole)
class OfficerRoleAdmin(SimpleHistoryAdmin):
    list_display = ("circle", "role", "person", "started_on", "term_end", "ended_on")
    list_filter = ("role", "circle__office", ("ended_on", admin.EmptyFieldListFilter))
    search_fields = ("person__first_name", "person__last_name", "circle__name")
    list_select_related = ("person", "circle")
    autocomplete_fields = ("person", "circle")


# --- The logbook ------------------------------------------------------------------------
# Meetings are kept on the meeting screen; the admin lets admins look, correct a meeting's
# practical details, and read each record's history. Decisions are read-only: an adopted
# decision is never edited.


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["circle", "starts_at", "status", "facilitator", "secretary"]
    list_filter = ["status", "circle__office"]
    search_fields = ["circle__name", "place", "minutes"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["circle", "facilitator", "secretary"]
    readonly_fields = ["closed_at", "minutes_sent_at", "created_by"]
    inlines = [AttendanceInline]


class ProposalVersionInline(admin.StackedInline):
    model = ProposalVersion
    extra = 0
    can_delete = False
    readonly_fields = ["number", "text", "evaluation_criteria", "review_date", "change_reason",
                       "created_by", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(SimpleHistoryAdmin):
    list_display = ["title", "circle", "status", "version_count", "created_at"]
    list_filter = ["status", "circle__office"]
    search_fields = ["title", "versions__text"]
    readonly_fields = ["circle", "item", "author", "status", "version_count"]
    inlines = [ProposalVersionInline]


@admin.register(ConsentAnswer)
class ConsentAnswerAdmin(SimpleHistoryAdmin):
    list_display = ["member", "answer", "resolution", "version", "recorded_at"]
    list_filter = ["answer", "resolution"]
    readonly_fields = ["version", "member", "answer", "argument", "recorded_by"]


@admin.register(Decision)
class DecisionAdmin(RecordAdmin):  # decisions are adopted in meetings
    list_display = ["reference", "title", "circle", "decided_on", "review_date", "status_label"]
    list_filter = ["circle__office", "decided_on"]
    search_fields = ["title", "text"]
    date_hierarchy = "decided_on"

    readonly_extra = ("consenting",)

    @admin.display(description=_("status"))
    def status_label(self, obj: Decision) -> str:
        return obj.status_label()


@admin.register(Election)
class ElectionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "meeting", "status", "candidate", "term_start", "term_end"]
    list_filter = ["status", "role"]
    readonly_fields = ["proposal", "holding", "candidate", "status"]

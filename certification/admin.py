"""Admins edit path templates as versions: a draft is edited freely, then published and
frozen; a new draft is a copy of the current version. Enrolments, evidence and
certificates are read here; they change through the app's pages."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from tsgcrm.admin import RecordAdmin

from . import services
from .models import (
    Certificate,
    Enrolment,
    Evidence,
    Path,
    PathVersion,
    Requirement,
    Stage,
    StageProgress,
)


class FrozenWhenPublished:
    """Inlines of a published version are read-only."""

    def _published(self, obj) -> bool:
        version = obj if isinstance(obj, PathVersion) else getattr(obj, "version", None)
        return bool(version and version.is_published)

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._published(obj) and super().has_delete_permission(request, obj)


class PathVersionInline(admin.TabularInline):
    model = PathVersion
    extra = 0
    fields = ["number", "published_on", "changes"]
    readonly_fields = ["number", "published_on", "changes"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Path)
class PathAdmin(SimpleHistoryAdmin):
    list_display = ["name", "title", "active"]
    list_filter = ["active"]
    search_fields = ["name", "title"]
    inlines = [PathVersionInline]


class StageInline(FrozenWhenPublished, admin.StackedInline):
    model = Stage
    extra = 0
    fields = [("position", "kind", "expected_days"), ("name", "name_fr", "name_es"),
              "description", "description_fr", "description_es"]
    show_change_link = True


@admin.register(PathVersion)
class PathVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "published_on", "enrolment_count"]
    list_filter = ["path"]
    readonly_fields = ["path", "number", "published_on"]
    fields = ["path", "number", "published_on", "changes"]
    inlines = [StageInline]
    actions = ["copy_as_draft", "publish"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_enrolments=Count("enrolments"))

    @admin.display(description=_("enrolments"), ordering="_enrolments")
    def enrolment_count(self, obj: PathVersion) -> int:
        return obj._enrolments

    def has_add_permission(self, request) -> bool:
        return False  # a new version is a copy of the current one (action)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and not obj.is_published

    @admin.action(description=_("Copy as a new draft version"))
    def copy_as_draft(self, request: HttpRequest, queryset: QuerySet[PathVersion]) -> None:
        for version in queryset:
            try:
                draft = services.version_copy(version=version)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("%(version)s created: edit its stages, then "
                                             "publish it.") % {"version": draft})

    @admin.action(description=_("Publish (new enrolments start on it)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[PathVersion]) -> None:
        for version in queryset:
            try:
                services.version_publish(version=version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {'; '.join(error.messages)}",
                                  messages.ERROR)
            else:
                self.message_user(request, _("%(version)s is published.") % {"version": version})


class RequirementInline(FrozenWhenPublished, admin.TabularInline):
    model = Requirement
    extra = 0
    fields = ["kind", "target", "description", "description_fr", "description_es"]


@admin.register(Stage)
class StageAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = ["__str__", "version", "kind", "expected_days"]
    list_filter = ["version__path", "kind"]
    inlines = [RequirementInline]

    def has_module_permission(self, request) -> bool:
        return False  # reached from its version

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StageProgressInline(admin.TabularInline):
    model = StageProgress
    extra = 0
    can_delete = False
    readonly_fields = ["stage", "started_on", "due_on", "completed_on"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "office", "current_stage", "status", "mentor", "started_on"]
    list_filter = ["status", "path", "office"]
    search_fields = ["user__last_name", "user__email", "person__last_name", "person__email"]
    # Mentor, stages and status change on the enrolment's page, which checks the rules.
    readonly_fields = ["version", "path", "user", "person", "mentor", "current_stage", "status",
                       "paused_on", "created_by", "source_deal"]
    inlines = [StageProgressInline]

    def has_add_permission(self, request) -> bool:
        return False  # enrolled from the app, which plans the stages

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(RecordAdmin):
    list_display = ["__str__", "enrolment", "stage", "occurred_on", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["title", "text"]


@admin.register(Certificate)
class CertificateAdmin(RecordAdmin, SimpleHistoryAdmin):  # issued by a decision
    list_display = ["holder_name", "title", "issued_on", "code", "revoked_on"]
    list_filter = ["revoked_on", "enrolment__path"]
    search_fields = ["holder_name", "code"]

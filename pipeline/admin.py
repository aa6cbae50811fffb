from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from tsgcrm.admin import RecordAdmin

from .models import (
    CalendarFeed,
    Deal,
    ExchangeRate,
    Interaction,
    LostReason,
    NotificationPreferences,
    Objection,
    Phase,
    PhaseMove,
    Reminder,
    ReportRun,
    ReportSubscription,
    Routine,
    Task,
)


class RoutineInline(admin.TabularInline):
    model = Routine
    fields = ("kind", "order", "text", "text_fr", "text_es")
    extra = 0


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "name_fr", "name_es", "default_probability",
                    "expected_days", "after_won")
    list_editable = ("default_probability", "expected_days")
    inlines = [RoutineInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the seven phases are the network's standard

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "name_fr", "name_es", "order", "active")
    list_editable = ("order", "active")


class PhaseMoveInline(admin.TabularInline):
    model = PhaseMove
    fields = ("from_phase", "to_phase", "moved_at", "moved_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deal)
class DealAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("title", "office", "owner", "phase", "status", "value", "currency",
                    "next_step_date")
    list_filter = ("status", "phase", "product", "lead_source", "office")
    search_fields = ("title", "person__last_name", "organisation__name")
    list_select_related = ("office", "owner", "phase")
    autocomplete_fields = ("person", "organisation", "owner", "second_expert")
    readonly_fields = ("version", "phase_entered_at", "closed_at")
    inlines = [PhaseMoveInline]
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("kind", "happened_at", "deal", "person", "created_by")
    list_filter = ("kind",)
    list_select_related = ("deal", "person", "created_by")
    raw_id_fields = ("deal", "person")


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("category", "outcome", "deal", "created_at")
    list_filter = ("category", "outcome")
    raw_id_fields = ("deal",)


# --- Tasks, reminders, calendar feeds ---------------------------------------------------------


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ["user", "remind_at", "channel", "sent_at"]
    readonly_fields = ["sent_at"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "assignee", "office", "due_date", "due_time", "status", "priority"]
    list_filter = ["status", "priority", "office"]
    search_fields = ["title", "notes", "assignee__email"]
    date_hierarchy = "due_date"
    raw_id_fields = ["assignee", "created_by", "person", "organisation", "deal", "circle",
                     "previous"]
    inlines = [ReminderInline]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "remind_at", "channel", "sent_at", "snoozes"]
    list_filter = ["channel", ("sent_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["user", "task"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "scope", "created_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    exclude = ["token"]  # a secret: not shown, not editable
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected calendar links"))
    def revoke(self, request, queryset) -> None:
        from django.utils import timezone

        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "reminder_email", "reminder_app", "digest", "digest_hour"]
    raw_id_fields = ["user"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "in_euros", "valid_from"]
    list_filter = ["currency"]
    date_hierarchy = "valid_from"


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "frequency", "created_at"]
    list_filter = ["frequency", "office"]


@admin.register(ReportRun)
class ReportRunAdmin(RecordAdmin):  # made from the report page
    list_display = ["__str__", "office", "requested_by", "status", "created_at", "finished_at"]
    list_filter = ["status", "kind"]


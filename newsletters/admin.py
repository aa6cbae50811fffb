from django.contrib import admin

from tsgcrm.admin import RecordAdmin

from .models import Delivery, Newsletter, Reader, Segment, Sender, Version


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ["office", "from_name", "from_email", "rate_per_minute"]
    search_fields = ["office__name", "from_name", "from_email"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "whole_network", "engagement", "created_at"]
    list_filter = ["office", "whole_network", "engagement"]
    search_fields = ["name", "description"]
    filter_horizontal = ["phases", "tags", "personas"]
    readonly_fields = ["created_by", "created_at"]


class VersionInline(admin.StackedInline):
    model = Version
    extra = 0


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "office", "segment", "status", "send_at", "recipients"]
    list_filter = ["status", "office", "ab_test"]
    search_fields = ["name", "versions__subject"]
    readonly_fields = ["status", "recipients", "started_at", "finished_at", "ab_decide_at",
                       "ab_winner", "problem", "created_by", "created_at"]
    inlines = [VersionInline]

    def has_change_permission(self, request, obj=None) -> bool:
        # A newsletter on its way or sent is a record: its pages handle pausing and the rest.
        return super().has_change_permission(request, obj) and (obj is None or obj.editable)


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    list_display = ["newsletter", "email", "status", "sent_at", "opened_at", "clicked_at",
                    "unsubscribed_at", "bounced_at"]
    list_filter = ["status", ("opened_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "message_id", "newsletter__name"]
    list_select_related = ["newsletter"]
    raw_id_fields = ["person"]
    show_full_result_count = False


@admin.register(Reader)
class ReaderAdmin(RecordAdmin):
    list_display = ["person", "engagement", "received", "opened", "clicked", "last_opened_at"]
    list_filter = ["engagement"]
    search_fields = ["person__last_name", "person__email"]
    list_select_related = ["person"]

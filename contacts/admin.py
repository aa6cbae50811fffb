from django.contrib import admin
from import_export.admin import ExportMixin

from .models import (
    Affiliation,
    Consent,
    Merge,
    Organisation,
    Person,
    Persona,
    PersonaObjection,
    Referral,
    Tag,
)


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    autocomplete_fields = ("organisation",)
    extra = 0


class ConsentInline(admin.TabularInline):
    model = Consent
    fields = ("channel", "granted", "lawful_basis", "source", "recorded_at", "recorded_by")
    readonly_fields = ("recorded_by",)
    extra = 0


class ReferralInline(admin.TabularInline):
    model = Referral
    fk_name = "person"
    fields = ("from_office", "to_office", "by", "note", "created_at")
    readonly_fields = ("by", "created_at")
    extra = 0


@admin.register(Person)
class PersonAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("__str__", "email", "kind", "lead_source", "office", "owner", "city",
                    "created_at")
    list_filter = ("kind", "lead_source", "office", "language", "preferred_channel")
    search_fields = ("first_name", "last_name", "email", "phone", "city")
    list_select_related = ("office", "owner")
    autocomplete_fields = ("owner", "persona", "tags")
    readonly_fields = ("erased_at", "created_at", "updated_at")
    inlines = [AffiliationInline, ConsentInline, ReferralInline]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Organisation)
class OrganisationAdmin(ExportMixin, admin.ModelAdmin):
    list_display = ("name", "org_type", "kind", "office", "city", "owner")
    list_filter = ("org_type", "kind", "office")
    search_fields = ("name", "city", "email")
    list_select_related = ("office", "owner")
    autocomplete_fields = ("owner", "tags")
    show_full_result_count = False


class PersonaObjectionInline(admin.StackedInline):
    model = PersonaObjection
    extra = 0


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ("name", "office", "adopted_by", "adopted_on")
    list_filter = ("office",)
    search_fields = ("name", "elevator_pitch")
    autocomplete_fields = ("adopted_by",)
    inlines = [PersonaObjectionInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "office")
    list_filter = ("office",)
    search_fields = ("name",)


@admin.register(Merge)
class MergeAdmin(admin.ModelAdmin):
    list_display = ("kept", "removed_id", "by", "created_at")
    readonly_fields = ("kept", "removed_id", "removed_snapshot", "by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


admin.site.register(Referral, list_display=("person", "from_office", "to_office", "by",
                                            "created_at"))
admin.site.register(Consent, list_display=("person", "channel", "granted", "lawful_basis",
                                           "recorded_at"),
                    list_filter=("channel", "granted", "lawful_basis"))

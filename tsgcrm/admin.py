"""Shared pieces of the admin."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    """A record the app writes and the admin only reads: every field shown read-only,
    never added nor deleted here (`readonly_extra` adds many-to-many fields)."""

    readonly_extra: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + list(self.readonly_extra)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

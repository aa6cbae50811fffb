from django.db import models
from django.utils.translation import get_language


class Translated(models.Model):
    """Wording kept per language in the database (`field`, `field_fr`, `field_es`), so
    admins can edit it; English is the fallback."""

    class Meta:
        abstract = True

    def _in_language(self, field: str) -> str:
        language = (get_language() or "en")[:2]
        if language != "en":
            value = getattr(self, f"{field}_{language}", "")
            if value:
                return value
        return getattr(self, field)

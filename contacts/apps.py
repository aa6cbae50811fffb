from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

# How close a word must be to count as a match in search: pg_trgm's default (0.6) misses
# common typos in short names ("Siobahn" for "Siobhan"); 0.5 catches them, and the best
# matches still come first.
WORD_SIMILARITY_THRESHOLD = 0.5


def _tune_trigram_search(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET pg_trgm.word_similarity_threshold = %s",
                           [WORD_SIMILARITY_THRESHOLD])


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        connection_created.connect(_tune_trigram_search,
                                   dispatch_uid="contacts.tune_trigram_search")

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
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                           [str(WORD_SIMILARITY_THRESHOLD)])


def _person_changed(sender, instance, created=False, **kwargs) -> None:
    from tsgcrm.counts import bump_on_commit

    from .models import Person, Referral

    if not isinstance(instance, Person):  # tag.people.add(…): the tag's office
        bump_on_commit("people", instance.office_id)
        return
    # The cached contact counts of the office, and of the offices the person was passed to,
    # are stale once this commits (a new person has been passed nowhere yet).
    if instance.office_id:
        bump_on_commit("people", instance.office_id)
    if not created and instance.pk:
        for office_id in set(Referral.objects.filter(person_id=instance.pk)
                             .values_list("to_office_id", flat=True)):
            bump_on_commit("people", office_id)


def _consent_changed(sender, instance, **kwargs) -> None:
    from .models import Consent, Person

    Consent.refresh_newsletter_consent(Person.objects.filter(pk=instance.person_id))


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        connection_created.connect(_tune_trigram_search,
                                   dispatch_uid="contacts.tune_trigram_search")
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Consent, Person

        post_save.connect(_consent_changed, sender=Consent,
                          dispatch_uid="contacts.consent_saved")
        post_delete.connect(_consent_changed, sender=Consent,
                            dispatch_uid="contacts.consent_deleted")
        post_save.connect(_person_changed, sender=Person, dispatch_uid="contacts.person_saved")
        post_delete.connect(_person_changed, sender=Person,
                            dispatch_uid="contacts.person_deleted")
        m2m_changed.connect(_person_changed, sender=Person.tags.through,
                            dispatch_uid="contacts.person_tagged")

"""Admins edit a path as versions: a published version is frozen, a draft is a copy."""

import pytest
from django.urls import reverse

from certification.models import PathVersion
from tests.factories import network_path

pytestmark = pytest.mark.django_db


def test_a_published_version_is_read_only_and_a_draft_is_copied_then_published(client,
                                                                                admin):
    client.force_login(admin)
    version = PathVersion.objects.get(path=network_path(), number=1)
    page = client.get(reverse("admin:certification_pathversion_change", args=[version.pk]))
    assert page.status_code == 200
    assert 'name="stages-0-name"' not in page.text  # frozen: shown, not editable
    assert "Basic training" in page.text
    changelist = reverse("admin:certification_pathversion_changelist")
    client.post(changelist, {"action": "copy_as_draft", "_selected_action": [version.pk]})
    draft = PathVersion.objects.get(path=version.path, number=2)
    assert draft.published_on is None and draft.stages.count() == 5
    page = client.get(reverse("admin:certification_pathversion_change", args=[draft.pk]))
    assert 'name="stages-0-name"' in page.text  # a draft is edited
    again = client.post(changelist, {"action": "copy_as_draft",
                                     "_selected_action": [version.pk]}, follow=True)
    assert "already has a draft" in again.text
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published
    assert version.path.current_version() == draft
    assert draft.stages.get(position=1).requirements.count() == 2


def test_evidence_and_certificates_are_not_added_nor_deleted_in_the_admin(client, admin):
    client.force_login(admin)
    for model in ("evidence", "certificate", "enrolment"):
        assert client.get(reverse(f"admin:certification_{model}_add")).status_code == 403
        assert client.get(reverse(f"admin:certification_{model}_changelist")).status_code == 200

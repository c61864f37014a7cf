"""Django admin cannot change members' personal data: the registry services (audited) are the way."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from rangkul.registry.models import Heir, PossibleDuplicate, Worker
from rangkul.registry.tests.factories import worker_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "Rahasia-Panjang-123")
    client.force_login(user)
    return client


def test_a_superuser_post_to_the_worker_change_page_changes_nothing(superuser_client, regions):
    worker = worker_create(full_name="Siti Aminah", phone="+6281311112222")
    url = reverse("admin:registry_worker_change", args=[worker.pk])
    assert superuser_client.get(url).status_code == 200  # operators may still look
    response = superuser_client.post(
        url, {"full_name": "Orang Lain", "phone": "+6281399990000", "birth_date": "1970-01-01", "sex": "M"}
    )
    assert response.status_code == 403
    worker.refresh_from_db()
    assert (worker.full_name, worker.phone) == ("Siti Aminah", "+6281311112222")


def test_admin_cannot_add_or_delete_members_and_shows_heirs_and_duplicates_read_only(superuser_client, rf, regions):
    worker = worker_create()
    assert superuser_client.post(reverse("admin:registry_worker_add"), {"full_name": "X"}).status_code == 403
    delete = superuser_client.post(reverse("admin:registry_worker_delete", args=[worker.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Worker.objects.filter(pk=worker.pk).exists()
    assert superuser_client.post(reverse("admin:registry_possibleduplicate_add"), {}).status_code == 403
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="root")
    worker_admin = admin.site._registry[Worker]
    inlines = worker_admin.get_inline_instances(request, worker)
    owners = [worker_admin, *inlines, admin.site._registry[PossibleDuplicate]]
    assert any(owner.model is Heir for owner in owners)
    for owner in owners:
        assert not owner.has_add_permission(request, worker)
        assert not owner.has_change_permission(request, worker)
        assert not owner.has_delete_permission(request, worker)

"""Pages stay light on a cheap phone and a slow network: compressed, and small once compressed."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from rangkul.registry.tests.factories import worker_create

# What a phone downloads the first time it opens a page with JavaScript on: the page and its CSS and JS.
COLD_BUDGET_BYTES = 60 * 1024
ASSET = re.compile(r'(?:href|src)="/static/([^"]+\.(?:css|js))"')


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _cold_weight(client, url: str) -> int:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200, url
    assert response["Content-Encoding"] == "gzip", url
    total = len(response.content)
    for asset in set(ASSET.findall(gzip.decompress(response.content).decode())):
        path = finders.find(asset)
        assert path, asset
        with open(path, "rb") as handle:
            total += _gzip_size(handle.read())
    return total


@pytest.mark.django_db
def test_pages_are_sent_compressed_to_browsers_that_accept_it(client, regions):
    response = client.get(reverse("core:landing"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    plain = client.get(reverse("core:landing"))  # a client that does not ask for gzip gets plain HTML
    assert plain["Content-Type"].startswith("text/html") and not plain.has_header("Content-Encoding")


@pytest.mark.django_db
def test_cold_worker_pages_stay_under_60_kb_with_javascript(client, regions):
    worker = worker_create(phone="+6281311112222")
    public = [
        reverse("core:landing"),
        reverse("contributions:simulator"),
        reverse("help:page"),
        reverse("portal:login"),
        reverse("portal:register_step", kwargs={"step": "kontak"}),
    ]
    for url in public:
        assert _cold_weight(client, url) < COLD_BUDGET_BYTES, url
    session = client.session
    session["portal_worker_id"] = worker.pk
    session.save()
    for url in (
        reverse("portal:account"),
        reverse("contributions:my_status"),
        reverse("contributions:my_pay"),
        reverse("contributions:my_card"),
    ):
        assert _cold_weight(client, url) < COLD_BUDGET_BYTES, url

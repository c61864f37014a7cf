from __future__ import annotations

from rangkul.accounts.services import api_key_create
from rangkul.audit.actors import Actor


def test_openapi_and_docs_are_served(client, db):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["info"]["title"] == "Rangkul API"
    assert "/api/v1/regions" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_bearer_key_authentication(db):
    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from rangkul.accounts.api_auth import KEY_OR_SESSION
    from rangkul.core.api_errors import install_error_handlers

    api = NinjaAPI(urls_namespace="api-auth-test")
    install_error_handlers(api)

    @api.get("/whoami", auth=KEY_OR_SESSION)
    def whoami(request):
        return {"name": request.auth.name}

    raw = api_key_create(actor=Actor.system("system"), name="Koperasi")
    client = TestClient(api)
    assert client.get("/whoami", headers={"Authorization": f"Bearer {raw}"}).json() == {"name": "Koperasi"}
    denied = client.get("/whoami", headers={"Authorization": "Bearer rk_wrong"})
    assert denied.status_code == 401
    assert denied.json()["code"] == "unauthenticated"
    assert client.get("/whoami").status_code == 401

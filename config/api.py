"""The one NinjaAPI object; each app contributes a router from its ``api`` module."""

from __future__ import annotations

from ninja import NinjaAPI

from rangkul.agents.api import router as agent_router
from rangkul.analytics.api import open_router
from rangkul.claims.api import router as claims_router
from rangkul.contributions.api import router as contributions_router
from rangkul.core.api_errors import install_error_handlers
from rangkul.messaging.api import router as sms_router
from rangkul.partners.api import router as imports_router
from rangkul.payments.api import member_router as payments_member_router
from rangkul.payments.api import router as payments_router
from rangkul.regions.api import router as regions_router
from rangkul.registry.api import occupations_router
from rangkul.registry.api import router as workers_router
from rangkul.sponsorships.api import router as sponsorships_router

api = NinjaAPI(
    title="Rangkul API",
    version="1",
    description=(
        "Registration, contributions and payments for informal workers' social security. "
        "Errors are always `{code, message, fields}`. Partners authenticate with "
        "`Authorization: Bearer <key>`."
    ),
    urls_namespace="api",
)
install_error_handlers(api)

api.add_router("/regions", regions_router)
api.add_router("", contributions_router)
api.add_router("/occupations", occupations_router)
api.add_router("/workers", workers_router)
api.add_router("/imports", imports_router)
api.add_router("/payments", payments_router)
api.add_router("", payments_member_router)
api.add_router("/sponsorships", sponsorships_router)
api.add_router("", claims_router)
api.add_router("/agent", agent_router)
api.add_router("/open", open_router)
api.add_router("/sms", sms_router)

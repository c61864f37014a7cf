from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api
from rangkul.messaging.views import whatsapp_webhook

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("rangkul.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("akun/", include("rangkul.accounts.urls")),
    path("office/", include("rangkul.core.office_urls")),
    path("office/audit/", include("rangkul.audit.urls")),
    path("office/peserta/", include("rangkul.registry.office_urls")),
    path("office/iuran/", include("rangkul.contributions.office_urls")),
    path("wilayah/", include("rangkul.regions.urls")),
    path("mitra/", include("rangkul.partners.urls")),
    path("sponsor/", include("rangkul.sponsorships.urls")),
    path("peserta/pesan/", include("rangkul.outreach.member_urls")),
    path("peserta/", include("rangkul.portal.urls")),
    path("bantuan/", include("rangkul.portal.help_urls")),
    # The public contract's education pages: what the programmes pay (from the rule tables), compared
    # with everyday prices, and the pages staff write and publish (ADR 0041).
    path("edukasi/", include("rangkul.outreach.education_urls")),
    path("iuran/", include("rangkul.contributions.urls")),
    path("bayar/", include("rangkul.payments.urls")),
    path("office/pembayaran/", include("rangkul.payments.office_urls")),
    path("office/transfer-anggaran/", include("rangkul.sponsorships.office_urls")),
    path("office/analitik/", include("rangkul.analytics.urls")),
    path("office/klaim/", include("rangkul.claims.urls")),
    path("klaim/", include("rangkul.claims.public_urls")),
    path("agen/", include("rangkul.agents.urls")),
    path("office/kampanye/", include("rangkul.outreach.office_urls")),
    # Before the API router: the WhatsApp webhook checks a signature over the raw body (ADR 0034).
    path("api/v1/webhooks/whatsapp", whatsapp_webhook, name="whatsapp_webhook"),
    path("data-terbuka/", include("rangkul.analytics.open_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# Uploaded files (partner imports, settlement files) hold personal data: MEDIA_ROOT is never served,
# not even in development. Reports are streamed by views that check who asks.

handler400 = "rangkul.core.views.error_400"
handler403 = "rangkul.core.views.error_403"
handler404 = "rangkul.core.views.error_404"
handler500 = "rangkul.core.views.error_500"

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api import api

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
    path("peserta/", include("rangkul.portal.urls")),
    path("iuran/", include("rangkul.contributions.urls")),
    path("bayar/", include("rangkul.payments.urls")),
    path("office/pembayaran/", include("rangkul.payments.office_urls")),
    path("office/analitik/", include("rangkul.analytics.urls")),
    path("data-terbuka/", include("rangkul.analytics.open_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "rangkul.core.views.error_400"
handler403 = "rangkul.core.views.error_403"
handler404 = "rangkul.core.views.error_404"
handler500 = "rangkul.core.views.error_500"

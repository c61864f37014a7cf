"""Back-office pages; mounted by config/urls.py as ``path("office/iuran/", include(...))``."""

from django.urls import path

from rangkul.contributions import office_views

app_name = "contributions_office"

urlpatterns = [
    path("penyesuaian/", office_views.adjustments, name="adjustments"),
    path("penyesuaian/<int:adjustment_id>/", office_views.adjustment_decide, name="adjustment_decide"),
    path("<str:membership_number>/", office_views.member, name="member"),
]

from django.urls import path

from rangkul.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.coverage_dashboard, name="coverage"),
    path("cakupan.csv", views.coverage_csv, name="coverage_csv"),
    path("ambil/", views.coverage_snapshot, name="snapshot"),
    path("tingkat/", views.coverage_rate_page, name="rates"),
    path("tingkat.csv", views.coverage_rate_series_csv, name="rates_csv"),
    path("peta.csv", views.coverage_map_csv, name="map_csv"),
    path("retensi/", views.retention_page, name="retention"),
    path("retensi.csv", views.retention_csv, name="retention_csv"),
    path("corong.csv", views.funnel_csv, name="funnel_csv"),
    path("jurang-sponsor.csv", views.cliff_csv, name="cliff_csv"),
]

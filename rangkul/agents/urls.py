from django.urls import path

from rangkul.agents import supervision_views, views

app_name = "agents"

urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("daftar/", views.register, name="register"),
    path("cari/", views.lookup, name="lookup"),
    path("portofolio.json", views.portfolio_data, name="portfolio_data"),
    path("peserta/<str:membership_number>/", views.member, name="member"),
    path("kuitansi/<str:number>/", views.receipt, name="receipt"),
    path("pengawasan/", supervision_views.signals, name="signals"),
    path("lapor-kuitansi/", supervision_views.receipt_missing, name="receipt_missing"),
]

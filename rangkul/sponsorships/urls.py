from django.urls import path

from rangkul.sponsorships import views

app_name = "sponsors"

urlpatterns = [
    path("", views.home, name="home"),
    path("baru/", views.create, name="create"),
    path("wilayah/", views.region, name="region"),
    path("wilayah/<str:code>/", views.region, name="region_code"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/anggota/", views.enrol, name="enrol"),
    path("<str:code>/tagihan/", views.bill, name="bill"),
    path("<str:code>/akhiri/", views.end, name="end"),
    path("<str:code>/laporan.csv", views.statement, name="statement_csv"),
    path("<str:code>/pembayar.csv", views.payers, name="payers_csv"),
]

from django.urls import path

from rangkul.portal import account_views, offline, registration_views, views

app_name = "portal"

urlpatterns = [
    path("daftar/", registration_views.register_start, name="register"),
    path("daftar/selesai/", registration_views.register_done, name="register_done"),
    path("daftar/<slug:step>/", registration_views.register_step, name="register_step"),
    path("masuk/", views.login_phone, name="login"),
    path("masuk/kode/", views.login_code, name="login_code"),
    path("masuk/pilih/", views.login_choose, name="login_choose"),
    path("keluar/", views.logout, name="logout"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("akun/", account_views.account, name="account"),
    path("akun/ahli-waris/tambah/", account_views.heir_create, name="heir_create"),
    path("akun/ahli-waris/<int:heir_id>/ubah/", account_views.heir_edit, name="heir_edit"),
    path("akun/ahli-waris/<int:heir_id>/hapus/", account_views.heir_delete, name="heir_delete"),
    path("akun/ubah/", account_views.profile_edit, name="profile_edit"),
    path("akun/nomor-hp/", account_views.phone_change, name="phone_change"),
    path("akun/unduh-data/", account_views.data_download, name="data_download"),
]

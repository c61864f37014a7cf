from django.urls import path

from rangkul.accounts import views

app_name = "accounts"

urlpatterns = [
    path("masuk/", views.StaffLoginView.as_view(), name="login"),
    path("keluar/", views.StaffLogoutView.as_view(), name="logout"),
    path("mulai/", views.start, name="start"),
    path("masuk/kode/", views.login_code, name="login_code"),
    path("dua-langkah/", views.totp_setup, name="totp_setup"),
]

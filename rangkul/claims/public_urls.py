"""Claimants' pages; mounted by config/urls.py as ``path("klaim/", include(...))``."""

from django.urls import path

from rangkul.claims import public_views, statement_views

app_name = "claims_public"

urlpatterns = [
    path("ajukan/", public_views.file_claim, name="file"),
    path("lacak/", public_views.track, name="track"),
    path("saldo-jht/", statement_views.my_statement, name="jht_statement"),
    path("saldo-jht/pdf/", statement_views.my_statement_pdf, name="jht_statement_pdf"),
    path("<str:number>/", public_views.status, name="status"),
    path("<str:number>/kuitansi/<int:instalment>/", public_views.receipt, name="receipt"),
]

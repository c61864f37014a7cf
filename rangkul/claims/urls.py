"""Back-office pages; mounted by config/urls.py as ``path("office/klaim/", include(...))``."""

from django.urls import path

from rangkul.claims import statement_views, views

app_name = "claims"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("pengecualian/", views.exceptions, name="exceptions"),
    path("baru/<str:membership_number>/", views.file_claim, name="file"),
    path("anggota/<str:membership_number>/saldo-jht/", statement_views.office_statement, name="jht_statement"),
    path(
        "anggota/<str:membership_number>/saldo-jht/pdf/", statement_views.office_statement_pdf, name="jht_statement_pdf"
    ),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/usul/", views.propose, name="propose"),
    path("<str:number>/putuskan/", views.decide, name="decide"),
    path("<str:number>/bayar/", views.pay, name="pay"),
    path("<str:number>/kirim-ulang/", views.retry, name="retry"),
    path("<str:number>/dokumen/", views.document_upload, name="document_upload"),
    path("<str:number>/kuitansi/<int:instalment>/", views.receipt, name="receipt"),
    path("<str:number>/cek-beasiswa/", views.scholarship_check, name="scholarship_check"),
    path("<str:number>/hitung-ulang/", views.recalculate, name="recalculate"),
    path("<str:number>/dokumen/<int:document_id>/", views.document, name="document"),
]

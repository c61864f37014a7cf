from django.urls import path

from rangkul.payments import views

app_name = "payments"

urlpatterns = [
    path("simulasi/", views.sandbox_page, name="sandbox"),
    path("simulasi/selesai/<str:external_id>/", views.sandbox_done, name="sandbox_done"),
    path("kuitansi/", views.my_payments, name="my_payments"),
    path("kuitansi/<str:number>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("kuitansi/<str:number>/", views.receipt_view, name="receipt"),
]

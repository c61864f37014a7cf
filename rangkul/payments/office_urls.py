from django.urls import path

from rangkul.payments import office_views as views

app_name = "payments_office"

urlpatterns = [
    path("", views.exception_queue, name="exceptions"),
    path("pengecualian/<int:exception_id>/", views.exception_detail, name="exception"),
    path("rekonsiliasi/", views.settlement_upload, name="settlements"),
    path("rekonsiliasi/<int:file_id>/", views.settlement_detail, name="settlement"),
    path("rekonsiliasi/<int:file_id>/laporan.csv", views.settlement_report, name="settlement_report"),
]

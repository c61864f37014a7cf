from django.urls import path

from rangkul.partners import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("anggota/", views.members, name="members"),
    path("impor/", views.imports, name="imports"),
    path("impor/unggah/", views.upload, name="upload"),
    path("impor/<int:job_id>/", views.import_detail, name="import_detail"),
    path("impor/<int:job_id>/batal/", views.import_cancel, name="import_cancel"),
    path("impor/<int:job_id>/lanjutkan/", views.import_resume, name="import_resume"),
    path("impor/<int:job_id>/laporan.csv", views.import_report_csv, name="import_report_csv"),
    path("impor/<int:job_id>/laporan.xlsx", views.import_report_xlsx, name="import_report_xlsx"),
    path("organisasi/", views.organisations, name="organisations"),
    path("organisasi/<slug:code>/", views.organisation_detail, name="organisation_detail"),
    path("templat.csv", views.template_download, {"extension": "csv"}, name="template_csv"),
    path("templat.xlsx", views.template_download, {"extension": "xlsx"}, name="template_xlsx"),
]

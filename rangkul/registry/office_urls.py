from django.urls import path

from rangkul.registry import office_views as views

app_name = "registry"

urlpatterns = [
    path("", views.worker_search_view, name="search"),
    path("daftar/", views.worker_register_view, name="register"),
    path("duplikat/", views.duplicate_list_view, name="duplicates"),
    path("duplikat/<int:duplicate_id>/gabung/", views.duplicate_merge_view, name="merge"),
    path("duplikat/<int:duplicate_id>/abaikan/", views.duplicate_dismiss_view, name="dismiss"),
    path("<str:membership_number>/", views.worker_detail_view, name="detail"),
    path("<str:membership_number>/nik/", views.worker_reveal_nik_view, name="reveal_nik"),
    path("<str:membership_number>/data/", views.worker_export_view, name="export"),
    path("<str:membership_number>/ubah/", views.worker_edit_view, name="edit"),
    path("<str:membership_number>/ahli-waris/tambah/", views.heir_edit_view, name="heir_add"),
    path("<str:membership_number>/ahli-waris/<int:heir_id>/ubah/", views.heir_edit_view, name="heir_edit"),
    path("<str:membership_number>/ahli-waris/<int:heir_id>/hapus/", views.heir_remove_view, name="heir_remove"),
]

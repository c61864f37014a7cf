from django.urls import path

from rangkul.analytics import open_views

app_name = "open_data"

urlpatterns = [
    path("cakupan/", open_views.open_data_page, name="coverage"),
    path("cakupan.csv", open_views.open_data_csv, name="coverage_csv"),
    path("cakupan.xlsx", open_views.open_data_xlsx, name="coverage_xlsx"),
    path("cakupan.parquet", open_views.open_data_parquet, name="coverage_parquet"),
]

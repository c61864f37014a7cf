from django.urls import path

from rangkul.sponsorships import office_views as views

app_name = "sponsor_transfers"

urlpatterns = [
    path("", views.transfers, name="list"),
    path("<int:transfer_id>/", views.transfer_detail, name="detail"),
]

from django.urls import path

from rangkul.outreach import office_views

app_name = "outreach_office"

urlpatterns = [
    path("", office_views.campaigns, name="campaigns"),
    path("baru/", office_views.campaign_new, name="campaign_new"),
    path("<int:pk>/", office_views.campaign_detail, name="campaign"),
    path("<int:pk>/setujui/", office_views.campaign_approve_view, name="campaign_approve"),
]

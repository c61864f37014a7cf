from django.urls import path

from rangkul.outreach import education_views, office_views, referral_views

app_name = "outreach_office"

urlpatterns = [
    path("", office_views.campaigns, name="campaigns"),
    path("baru/", office_views.campaign_new, name="campaign_new"),
    path("<int:pk>/", office_views.campaign_detail, name="campaign"),
    path("<int:pk>/setujui/", office_views.campaign_approve_view, name="campaign_approve"),
    path("kode/", referral_views.referrals, name="referrals"),
    path("kode/<str:code>/brosur.pdf", referral_views.referral_flyer, name="referral_flyer"),
    path("edukasi/", education_views.education_list, name="education_list"),
    path("edukasi/baru/", education_views.education_edit, name="education_new"),
    path("edukasi/<slug:slug>/", education_views.education_edit, name="education_edit"),
    path("edukasi/<slug:slug>/terbitkan/", education_views.education_publish, name="education_publish"),
    path("whatsapp/", office_views.whatsapp_templates, name="whatsapp_templates"),
]

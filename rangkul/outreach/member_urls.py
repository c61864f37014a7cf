from django.urls import path

from rangkul.outreach import member_views

app_name = "outreach_member"

urlpatterns = [
    path("", member_views.preferences, name="preferences"),
    path("berhenti/<str:token>/", member_views.unsubscribe, name="unsubscribe"),
]

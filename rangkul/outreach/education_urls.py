from django.urls import path

from rangkul.outreach import education_views

app_name = "education"

urlpatterns = [
    path("", education_views.education_index, name="index"),
    path("<slug:slug>/", education_views.education_page, name="page"),
]

from django.urls import path

from rangkul.core import views

app_name = "office"

urlpatterns = [
    path("", views.office_home, name="home"),
]

from django.urls import path

from rangkul.contributions import views

app_name = "contributions"

urlpatterns = [
    path("", views.simulator, name="simulator"),
]

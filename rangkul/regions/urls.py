from django.urls import path

from rangkul.regions import views

app_name = "regions"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("pilih/", views.picker, name="picker"),
]

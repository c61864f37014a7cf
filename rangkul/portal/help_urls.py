from django.urls import path

from rangkul.portal.help import help_page

app_name = "help"

urlpatterns = [
    path("", help_page, name="page"),
]

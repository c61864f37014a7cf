"""The project's URLs plus the contributions back office, as config/urls.py is asked to mount it."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("office/iuran/", include("rangkul.contributions.office_urls"))]

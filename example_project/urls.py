from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("shoutout/", include("shoutout.urls")),
    path("", include("example_project.demo.urls")),
]

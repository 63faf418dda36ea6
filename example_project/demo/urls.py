from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from example_project.demo import uploads, views

app_name = "demo"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("upload/", views.upload_page, name="upload"),
    path("upload/<str:object_id>/", uploads.receive_upload, name="receive-upload"),
    path("watch/<str:object_id>/", views.watch_page, name="watch"),
]

# Serve the static files under DEBUG also when daphne runs the ASGI app
# directly, as the test suite does (runserver serves them on its own).
# staticfiles_urlpatterns() is empty when DEBUG is off.
urlpatterns += staticfiles_urlpatterns()

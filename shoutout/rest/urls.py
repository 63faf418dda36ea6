from django.urls import path, re_path

from shoutout.rest import token_views, views

urlpatterns = [
    path("objects/", views.ObjectListView.as_view(), name="shoutout-object-list"),
    path("objects/<str:object_id>/", views.ObjectDetailView.as_view(), name="shoutout-object-detail"),
    path("objects/<str:object_id>/state/", views.StateView.as_view(), name="shoutout-object-state"),
    path("objects/<str:object_id>/messages/", views.MessageView.as_view(), name="shoutout-object-messages"),
    path("objects/<str:object_id>/tokens/", token_views.TokenListView.as_view(), name="shoutout-object-tokens"),
    path(
        "objects/<str:object_id>/tokens/revoke/",
        token_views.TokenRevokeView.as_view(),
        name="shoutout-object-tokens-revoke",
    ),
    # Anything else under the API prefix (ids with slashes, empty ids, typos)
    # gets the API's JSON 404 rather than the project's HTML page.
    re_path(r"^.*$", views.not_found, name="shoutout-not-found"),
]

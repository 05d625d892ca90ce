"""The app's URLconf plus the benchmark's reference endpoints (bench.settings only)."""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("_bench/ok", views.trivial, name="trivial"),
    path("_bench/signed-in-post", views.signed_in_post, name="bench-signed-in-post"),
    path("_bench/signed-in-write", views.signed_in_write, name="bench-signed-in-write"),
    path("", include("studyapp.urls")),
]

handler400 = "studyapp.views.bad_request"
handler403 = "studyapp.views.permission_denied"
handler404 = "studyapp.views.page_not_found"
handler500 = "studyapp.views.server_error"

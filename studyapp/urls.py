from django.contrib import admin
from django.urls import include, path

from studyapp import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("_bench/ok", views.trivial, name="trivial"),
    path("_bench/signed-in-post", views.signed_in_post, {"write": False}, name="bench-signed-in-post"),
    path("_bench/signed-in-write", views.signed_in_post, {"write": True}, name="bench-signed-in-write"),
    path("accounts/", include("studyapp.accounts.urls")),
    path("notes/", include("studyapp.notes.urls")),
    path("study/", include("quizzes.urls")),
    path("exam/", include("quizzes.exams.urls")),
    path("trainer/", include("quizzes.trainer.urls")),
    path("", include("studyapp.progress.urls")),
    path("author/<slug:slug>/stats/", include("quizzes.itemstats.urls")),
    path("author/", include("quizzes.authoring.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "studyapp.views.bad_request"
handler403 = "studyapp.views.permission_denied"
handler404 = "studyapp.views.page_not_found"
handler500 = "studyapp.views.server_error"

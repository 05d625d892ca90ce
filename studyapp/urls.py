from django.contrib import admin
from django.urls import include, path

from studyapp import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("studyapp.accounts.urls")),
    path("notes/", include("studyapp.notes.urls")),
    path("study/", include("quizzes.study.urls")),
    path("exam/", include("quizzes.exams.urls")),
    path("trainer/", include("quizzes.trainer.urls")),
    path("classes/", include("quizzes.classes.urls")),
    path("", include("studyapp.progress.urls")),
    path("author/<slug:slug>/stats/", include("quizzes.itemstats.urls")),
    path("author/", include("quizzes.authoring.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "studyapp.views.bad_request"
handler403 = "studyapp.views.permission_denied"
handler404 = "studyapp.views.page_not_found"
handler500 = "studyapp.views.server_error"

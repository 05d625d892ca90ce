from django.urls import path

from quizzes.study import views

app_name = "study"
urlpatterns = [
    path("", views.study_session, name="session"),
    path("choose/", views.choose, name="choose"),
    path("answer/", views.answer, name="answer"),
    path("rate/", views.rate, name="rate"),
    path("undo/", views.undo, name="undo"),
    path("questions/<int:question_id>/bury/", views.bury, name="bury"),
    path("questions/<int:question_id>/suspend/", views.suspend, name="suspend"),
    path("questions/<int:question_id>/flag/", views.flag, name="flag"),
    path("suspended/", views.suspended, name="suspended"),
    path("questions/<int:question_id>/unsuspend/", views.unsuspend, name="unsuspend"),
]

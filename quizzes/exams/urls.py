from django.urls import path

from quizzes.exams import views

app_name = "exam"
urlpatterns = [
    path("", views.index, name="index"),
    path("start", views.start, name="start"),
    path("<int:attempt_id>/", views.attempt_home, name="attempt"),
    path("<int:attempt_id>/q/<int:position>/", views.question, name="question"),
    path("<int:attempt_id>/review/", views.review, name="review"),
    path("<int:attempt_id>/submit", views.submit, name="submit"),
    path("<int:attempt_id>/abandon", views.abandon, name="abandon"),
    path("<int:attempt_id>/results/", views.results, name="results"),
    path("<int:attempt_id>/retake", views.retake, name="retake"),
]

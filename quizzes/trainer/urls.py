from django.urls import path

from quizzes.trainer import views

app_name = "trainer"
urlpatterns = [
    path("", views.index, name="index"),
    path("rounds/", views.start, name="start"),
    path("rounds/<int:round_id>/", views.round_page, name="round"),
    path("rounds/<int:round_id>/answer/", views.answer, name="answer"),
    path("rounds/<int:round_id>/<int:position>/", views.feedback, name="feedback"),
    path("confusions/", views.confusions, name="confusions"),
    path("guide/", views.guides, name="guides"),
    path("guide/<slug:slug>/", views.guide, name="guide"),
]

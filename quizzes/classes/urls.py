from django.urls import path

from quizzes.classes import views

app_name = "classes"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("join/", views.join, name="join"),
    path("join/<str:token>/", views.join_link, name="join_link"),
    path("<int:class_id>/", views.detail, name="detail"),
    path("<int:class_id>/leave", views.leave, name="leave"),
    path("<int:class_id>/access", views.access, name="access"),
    path("<int:class_id>/delete", views.delete, name="delete"),
    path("<int:class_id>/co-teachers/", views.co_teacher_add, name="co_teacher_add"),
    path("<int:class_id>/co-teachers/<int:user_id>/remove", views.co_teacher_remove, name="co_teacher_remove"),
    path("<int:class_id>/assignments/new/", views.assignment_create, name="assignment_create"),
    path("<int:class_id>/assignments/<int:assignment_id>/edit/", views.assignment_edit, name="assignment_edit"),
    path("<int:class_id>/assignments/<int:assignment_id>/delete", views.assignment_delete, name="assignment_delete"),
    path("<int:class_id>/assignments/<int:assignment_id>/start", views.assignment_start, name="assignment_start"),
    path("<int:class_id>/gradebook.csv", views.gradebook_csv, name="gradebook"),
]

from django.urls import path

from studyapp.notes import views

app_name = "notes"
urlpatterns = [
    path("", views.index, name="index"),
    path("search", views.search, name="search"),
    path("<slug:slug>/", views.detail, name="detail"),
]

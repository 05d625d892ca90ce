from django.urls import path

from quizzes.itemstats import views

# Included at author/<slug:slug>/stats/ (studyapp/urls.py), ahead of the authoring pages.
app_name = "itemstats"
urlpatterns = [
    path("", views.bank_stats, name="bank"),
    path("export.csv", views.export_csv, name="export"),
]

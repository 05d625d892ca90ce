from django.urls import path

from studyapp.progress import views

# No namespace: the navigation links the route named "progress".
urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("progress/calibration/", views.calibration_page, name="progress_calibration"),
    path("progress/topics/", views.topics_page, name="progress_topics"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/workload/", views.workload_page, name="settings_workload"),
    path("settings/memory-model/fit/", views.fit_memory_model, name="settings_fit"),
    path("settings/memory-model/defaults/", views.reset_memory_model, name="settings_fit_defaults"),
    path("settings/export.json", views.export, {"kind": "json"}, name="settings_export_json"),
    path("settings/export.zip", views.export, {"kind": "csv"}, name="settings_export_csv"),
    path("settings/delete/", views.delete_account, name="settings_delete"),
]

from django.urls import path

from . import scenario_views, views

app_name = "author"

urlpatterns = [
    path("", views.index, name="index"),
    path("banks/new/", views.bank_create, name="bank_create"),
    # Trainer scenarios: before the bank routes, or "scenarios" would be taken for a bank's slug.
    path("scenarios/", scenario_views.scenario_list, name="scenarios"),
    path("scenarios/new/", scenario_views.scenario_edit, name="scenario_create"),
    path("scenarios/preview/", scenario_views.scenario_preview_view, name="scenario_preview"),
    path("scenarios/<slug:external_id>/edit/", scenario_views.scenario_edit, name="scenario_edit"),
    path("scenarios/<slug:external_id>/delete/", scenario_views.scenario_delete, name="scenario_delete"),
    path("<slug:slug>/", views.bank_detail, name="bank"),
    path("<slug:slug>/edit/", views.bank_edit, name="bank_edit"),
    path("<slug:slug>/archive/", views.bank_archive, name="bank_archive"),
    path("<slug:slug>/co-authors/", views.co_author_add, name="co_author_add"),
    path("<slug:slug>/co-authors/<int:user_id>/remove/", views.co_author_remove, name="co_author_remove"),
    path("<slug:slug>/new-question/", views.question_edit, name="question_create"),
    path("<slug:slug>/questions/<slug:external_id>/", views.question_edit, name="question_edit"),
    path("<slug:slug>/preview/", views.markdown_preview, name="preview"),
    path("<slug:slug>/flags/", views.flags, name="flags"),
    path("<slug:slug>/flags/<int:flag_id>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("<slug:slug>/import/", views.import_upload, name="import"),
    path("<slug:slug>/import/<int:pending_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("<slug:slug>/export.<str:fmt>", views.export, name="export"),
]

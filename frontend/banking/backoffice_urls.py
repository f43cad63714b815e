"""Cabinet > Rapprochement: bank statements and the reconciliation of their entries."""

from django.urls import path

from frontend.banking import views

app_name = "banking_bo"

urlpatterns = [
    path("", views.home, name="home"),
    path("releves/<int:statement_id>/", views.statement, name="statement"),
    path(
        "releves/<int:statement_id>/avancement/",
        views.statement_progress,
        name="statement_progress",
    ),
    path("a-traiter/", views.review, name="review"),
    path("operations/<int:entry_id>/", views.entry, name="entry"),
    path("operations/<int:entry_id>/rapprocher/", views.entry_match, name="entry_match"),
    path("operations/<int:entry_id>/ignorer/", views.entry_ignore, name="entry_ignore"),
    path("operations/<int:entry_id>/reprendre/", views.entry_restore, name="entry_restore"),
]

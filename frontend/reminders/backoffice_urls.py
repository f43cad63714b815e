"""Cabinet: the pages of this area."""

app_name = "reminders_bo"

urlpatterns: list = []

"""Cabinet: the pages of this area."""

app_name = "banking_bo"

urlpatterns: list = []

"""Cabinet: the pages of this area."""

app_name = "cards_bo"

urlpatterns: list = []

"""Cabinet: the pages of this area."""

app_name = "sepa_bo"

urlpatterns: list = []

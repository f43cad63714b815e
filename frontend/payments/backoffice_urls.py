"""Cabinet: the pages of this area."""

app_name = "payments_bo"

urlpatterns: list = []

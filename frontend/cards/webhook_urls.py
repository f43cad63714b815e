"""the card processor's webhook: the pages of this area."""

app_name = "cards_webhook"

urlpatterns: list = []

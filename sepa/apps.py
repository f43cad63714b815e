from django.apps import AppConfig


class SepaConfig(AppConfig):
    name = "sepa"

"""Application catalogue, subscriptions, access grants (django-guardian) and their audit trail."""

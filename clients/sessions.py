"""The session engine: Django's database sessions, stored in `UserSession` with their owner,
address and browser, so Mon compte can list them and end one or all."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore


class SessionStore(DbSessionStore):
    def __init__(self, session_key=None, *, user_agent: str = "", ip: str | None = None):
        super().__init__(session_key)
        self.user_agent = user_agent[:300]
        self.ip = ip

    @classmethod
    def get_model_class(cls):
        from clients.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id else None
        if self.user_agent:
            instance.user_agent = self.user_agent
        if self.ip:
            instance.ip = self.ip
        return instance

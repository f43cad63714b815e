"""Hands the browser and address to the session engine, so each session knows where it lives."""

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware


class SessionMiddleware(DjangoSessionMiddleware):
    def process_request(self, request):
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = self.SessionStore(
            session_key,
            user_agent=request.headers.get("User-Agent", ""),
            ip=request.META.get("REMOTE_ADDR"),
        )

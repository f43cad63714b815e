"""Who may open which space: decorators for the views of each one."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from clients.selectors import is_client_admin


def client_admin_required(view):
    """Utilisateurs and Entreprises: client administrators only; others are told nothing."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_client_admin(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapped


def firm_staff_required(view):
    """The firm's back-office."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_firm_staff:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapped


def firm_admin_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_firm_admin:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapped

"""Mon compte > Informations > Télécharger mes données: the signed-in person's own data."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from clients.gdpr import person_data_json


@never_cache
@login_required
def my_data(request):
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
    response = HttpResponse(
        person_data_json(request.user), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

from django.shortcuts import render

from frontend.access import client_admin_required


@client_admin_required
def index(request):
    return render(request, "frontend/people/index.html")

from django.shortcuts import render

from frontend.access import firm_staff_required


@firm_staff_required
def index(request):
    return render(request, "frontend/backoffice/index.html")

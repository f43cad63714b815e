from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import auth_views as auth
from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", auth.LoginView.as_view(), name="login"),
    path("connexion/code/", auth.login_code, name="login_code"),
    path("deconnexion/", auth_views.LogoutView.as_view(next_page="frontend:login"), name="logout"),
    path(
        "mot-de-passe/definir/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password_set",
    ),
    path("mot-de-passe/oublie/", auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        auth.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/reinitialiser/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/reinitialise/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

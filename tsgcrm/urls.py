from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from circles.forms import QueuedPasswordResetForm

from . import views

handler500 = "tsgcrm.views.server_error"

admin.site.site_header = _("tsgcrm administration")
admin.site.site_title = _("tsgcrm admin")
admin.site.index_title = _("Network administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("circles.urls")),
    path("", include("contacts.urls")),
    path("", include("pipeline.urls")),
    path("", include("certification.urls")),
    path("", include("newsletters.urls")),
    path("admin/", admin.site.urls),
]

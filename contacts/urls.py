from django.urls import path

from . import imports, views

app_name = "contacts"

urlpatterns = [
    path("contacts/", views.person_list, name="person_list"),
    path("contacts/export.csv", views.person_export_csv, name="person_export_csv"),
    path("contacts/new/", views.person_create_view, name="person_create"),
    path("contacts/quick-add/", views.quick_add, name="quick_add"),
    path("contacts/duplicates/", views.person_duplicates, name="person_duplicates"),
    path("contacts/import/", imports.import_upload, name="import_upload"),
    path("contacts/import/<str:token>/", imports.import_review, name="import_review"),
    path("contacts/<int:pk>/", views.person_detail, name="person_detail"),
    path("contacts/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("contacts/<int:pk>/consent/", views.person_consent, name="person_consent"),
    path("contacts/<int:pk>/refer/", views.person_refer_view, name="person_refer"),
    path("contacts/<int:pk>/export.json", views.person_export_json, name="person_export_json"),
    path("contacts/<int:pk>/erase/", views.person_erase_view, name="person_erase"),
    path("contacts/<int:pk>/merge/<int:other_pk>/", views.person_merge_view,
         name="person_merge"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_edit, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("personas/", views.persona_list, name="persona_list"),
    path("personas/new/", views.persona_edit, name="persona_create"),
    path("personas/<int:pk>/", views.persona_detail, name="persona_detail"),
    path("personas/<int:pk>/edit/", views.persona_edit, name="persona_edit"),
]

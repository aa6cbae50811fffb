from django.urls import path

from . import views

app_name = "certification"

urlpatterns = [
    path("certification/", views.overview, name="overview"),
    path("certification/candidates/", views.candidates, name="candidates"),
    path("certification/registry/", views.registry_view, name="registry"),
    path("certification/enrol/", views.enrol_view, name="enrol"),
    path("certification/enrolments/<int:pk>/", views.enrolment_detail,
         name="enrolment_detail"),
    path("certification/enrolments/<int:pk>/evidence/", views.evidence_add,
         name="evidence_add"),
    path("certification/enrolments/<int:pk>/evidence/<int:evidence_pk>/strike/",
         views.evidence_strike, name="evidence_strike"),
    path("certification/enrolments/<int:pk>/evidence/<int:evidence_pk>/document/",
         views.evidence_document, name="evidence_document"),
    path("certification/enrolments/<int:pk>/advance/", views.stage_advance,
         name="stage_advance"),
    path("certification/enrolments/<int:pk>/status/<str:status>/", views.status_change,
         name="status_change"),
    path("certification/enrolments/<int:pk>/mentor/", views.mentor_change,
         name="mentor_change"),
    path("certification/enrolments/<int:pk>/stages/<int:stage_pk>/due/",
         views.due_date_change, name="due_date_change"),
    path("certification/enrolments/<int:pk>/review/", views.review_propose,
         name="review_propose"),
    path("certification/certificates/<int:pk>/pdf/", views.certificate_pdf,
         name="certificate_pdf"),
    path("certification/certificates/<int:pk>/revoke/", views.certificate_revoke,
         name="certificate_revoke"),
    path("verify/", views.verify, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
]

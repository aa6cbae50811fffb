from django.urls import path

from . import views
from .decisions import views as logbook

app_name = "circles"

urlpatterns = [
    path("offices/", views.office_list, name="office_list"),
    path("offices/<int:pk>/", views.office_detail, name="office_detail"),
    path("circles/", views.circle_chart, name="chart"),
    path("circles/health/", views.structure_health, name="health"),
    path("circles/<int:pk>/", views.circle_detail, name="circle_detail"),
    path("circles/<int:pk>/members/", views.membership_add_view, name="membership_add"),
    path("circles/<int:pk>/members/<int:membership_pk>/end/", views.membership_end_view,
         name="membership_end"),
    path("circles/<int:pk>/roles/", views.officer_assign_view, name="officer_assign"),
    path("circles/<int:pk>/roles/<int:holding_pk>/end/", views.officer_end_view,
         name="officer_end"),
    # The logbook: meetings, consent rounds, elections, the decision register.
    path("circles/<int:pk>/meetings/", logbook.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", logbook.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/attendance/all/", logbook.attendance_all_view,
         name="attendance_all"),
    path("meetings/<int:pk>/attendance/<int:person_pk>/", logbook.attendance_view,
         name="attendance"),
    path("meetings/<int:pk>/agenda/", logbook.agenda_add_view, name="agenda_add"),
    path("meetings/<int:pk>/items/<int:item_pk>/proposal/", logbook.proposal_submit_view,
         name="proposal_submit"),
    path("meetings/<int:pk>/proposals/<int:proposal_pk>/amend/", logbook.proposal_amend_view,
         name="proposal_amend"),
    path("meetings/<int:pk>/proposals/<int:proposal_pk>/turn/", logbook.turn_view,
         name="turn"),
    path("meetings/<int:pk>/proposals/<int:proposal_pk>/withdraw/",
         logbook.proposal_withdraw_view, name="proposal_withdraw"),
    path("meetings/<int:pk>/proposals/<int:proposal_pk>/adopt/", logbook.proposal_adopt_view,
         name="proposal_adopt"),
    path("meetings/<int:pk>/objections/<int:answer_pk>/withdraw/",
         logbook.objection_withdraw_view, name="objection_withdraw"),
    path("meetings/<int:pk>/elections/", logbook.election_create_view, name="election_create"),
    path("meetings/<int:pk>/elections/<int:election_pk>/nominate/", logbook.nomination_view,
         name="nominate"),
    path("meetings/<int:pk>/elections/<int:election_pk>/change-round/",
         logbook.election_change_round_view, name="election_change_round"),
    path("meetings/<int:pk>/elections/<int:election_pk>/propose/",
         logbook.election_propose_view, name="election_propose"),
    path("meetings/<int:pk>/close/", logbook.meeting_close_view, name="meeting_close"),
    path("meetings/<int:pk>/minutes.pdf", logbook.minutes_pdf_view, name="minutes_pdf"),
    path("decisions/", logbook.decision_register_view, name="decision_register"),
    path("decisions/<int:pk>/", logbook.decision_detail, name="decision_detail"),
]

from django.urls import path

from . import views
from .agenda import views as agenda
from .reports import views as reports

app_name = "pipeline"

urlpatterns = [
    path("pipeline/", views.board_view, name="board"),
    path("pipeline/column/<int:number>/", views.board_column, name="board_column"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/export.csv", views.deal_export_csv, name="deal_export_csv"),
    path("deals/new/", views.deal_create_view, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/routines/<int:routine_pk>/", views.routine_toggle_view,
         name="routine_toggle"),
    path("deals/<int:pk>/interactions/", views.interaction_add, name="interaction_add"),
    path("deals/<int:pk>/objections/", views.objection_add, name="objection_add"),
    path("deals/<int:pk>/close/<str:outcome>/", views.deal_close, name="deal_close"),
    path("deals/<int:pk>/follow-up/", views.deal_follow_up_view, name="deal_follow_up"),
    path("deals/<int:pk>/nudges/", agenda.deal_nudges, name="deal_nudges"),
    # Tasks, reminders, the calendar and notifications.
    path("tasks/", agenda.task_list, name="task_list"),
    path("tasks/new/", agenda.task_create, name="task_create"),
    path("tasks/<int:pk>/", agenda.task_edit, name="task_edit"),
    path("tasks/<int:pk>/<str:action>/", agenda.task_status, name="task_status"),
    path("reminders/", agenda.reminder_add, name="reminder_add"),
    path("calendar/", agenda.calendar_view, name="calendar"),
    path("calendar/move/", agenda.calendar_move, name="calendar_move"),
    path("calendar/feed/<str:token>.ics", agenda.calendar_feed, name="calendar_feed"),
    path("notifications/", agenda.notifications, name="notifications"),
    path("notifications/bell/", agenda.notification_bell, name="notification_bell"),
    path("notifications/<int:pk>/snooze/", agenda.notification_snooze,
         name="notification_snooze"),
    path("settings/notifications/", agenda.notification_settings,
         name="notification_settings"),
    # Reports.
    path("reports/", reports.office_report_view, name="report"),
    path("reports/network/", reports.network_report_view, name="network_report"),
    path("reports/<str:kind>/csv/<str:table>/", reports.report_csv, name="report_csv"),
    path("reports/<str:kind>/pdf/", reports.report_pdf_request, name="report_pdf"),
    path("reports/runs/<int:pk>/", reports.report_run, name="report_run"),
    path("reports/runs/<int:pk>/pdf/", reports.report_download, name="report_download"),
    path("reports/subscriptions/", reports.subscription_add, name="report_subscribe"),
    path("reports/subscriptions/<int:pk>/delete/", reports.subscription_delete,
         name="report_unsubscribe"),
]

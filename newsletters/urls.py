from django.urls import path

from . import tracking, views

app_name = "newsletters"

urlpatterns = [
    path("newsletters/", views.newsletter_list, name="list"),
    path("newsletters/new/", views.newsletter_create, name="create"),
    path("newsletters/<int:pk>/", views.newsletter_detail, name="detail"),
    path("newsletters/<int:pk>/edit/", views.newsletter_edit, name="edit"),
    path("newsletters/<int:pk>/preview/", views.newsletter_preview, name="preview"),
    path("newsletters/<int:pk>/test/", views.newsletter_test, name="test"),
    path("newsletters/<int:pk>/schedule/", views.newsletter_schedule, name="schedule"),
    path("newsletters/<int:pk>/unschedule/", views.newsletter_unschedule, name="unschedule"),
    path("newsletters/<int:pk>/pause/", views.newsletter_pause, name="pause"),
    path("newsletters/<int:pk>/resume/", views.newsletter_resume, name="resume"),
    path("newsletters/<int:pk>/cancel/", views.newsletter_cancel, name="cancel"),
    path("newsletters/sender/<int:office>/", views.sender_edit, name="sender"),
    path("newsletters/segments/", views.segment_list, name="segment_list"),
    path("newsletters/segments/new/", views.segment_create, name="segment_create"),
    path("newsletters/segments/count/", views.segment_count, name="segment_count"),
    path("newsletters/segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    # Public: what readers' mail programs and providers call.
    path("n/o/<str:token>.gif", tracking.open_pixel, name="open"),
    path("n/c/<str:token>/", tracking.click, name="click"),
    path("n/u/<str:token>/", tracking.unsubscribe, name="unsubscribe"),
    path("n/webhooks/<slug:provider>/", tracking.webhook, name="webhook"),
]

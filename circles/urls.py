from django.urls import path

from . import views

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
]

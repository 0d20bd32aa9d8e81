"""Every /api/ address outside a known version answers in the API's JSON error shape."""

from django.urls import re_path

from api.errors import not_found

urlpatterns = [re_path(r"^.*$", not_found)]

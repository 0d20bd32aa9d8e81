"""Every /api/ address outside a known version answers in the API's JSON error shape."""

from django.urls import re_path

from api.errors import not_found

# Newlines included: '.' would stop at one and hand the address to the website's 404 page.
urlpatterns = [re_path(r"^[\s\S]*$", not_found)]

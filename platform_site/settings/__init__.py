"""The site's settings (DJANGO_SETTINGS_MODULE=platform_site.settings), assembled from one module per concern."""

from platform_site.settings.base import *  # noqa: F403
from platform_site.settings.celery import *  # noqa: F403
from platform_site.settings.embedded import *  # noqa: F403
from platform_site.settings.recommender import *  # noqa: F403
from platform_site.settings.security import *  # noqa: F403

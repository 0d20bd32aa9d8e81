#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings")
    from django.core.management import execute_from_command_line

    from platform_site import embedded

    # Any command may use the database: without DATABASE_URL, the embedded servers are started (or joined) first.
    embedded.ensure_started()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsgcrm.settings")
    # manage.py is the developer's tool: with nothing set it runs in development mode.
    # Servers start through tsgcrm.wsgi / celery, where settings keep their production
    # defaults (DEBUG off, SECRET_KEY required); set DEBUG=0 to manage a production site.
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

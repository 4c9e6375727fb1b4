#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aladdin.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A missing or wrong setting: its message says what to set, and a traceback
        # through Django's settings loader would only bury it (--traceback shows it).
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"manage.py: {error}")


if __name__ == "__main__":
    main()

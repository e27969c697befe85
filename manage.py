#!/usr/bin/env python
"""Django's command-line utility for Candor."""

import sys


def main() -> None:
    from advocacy.startup import load_settings

    load_settings()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

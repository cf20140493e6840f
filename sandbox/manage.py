#!/usr/bin/env python
"""Django's command-line utility for the sandbox: `python sandbox/manage.py runserver`."""

import os
import sys
from pathlib import Path

# The sandbox is the package `sandbox`; its parent (the repository root) must be
# importable whether this file is run from the root or from sandbox/.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Django's command line, on the same environment as `portal` (embedded services when unset)."""

import sys

from saas.cli import manage

if __name__ == "__main__":
    manage(sys.argv)

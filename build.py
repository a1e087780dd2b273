#!/usr/bin/env python3
"""Entry point: `python build.py --help`. All the work happens in the yunzhan package."""

import sys

from yunzhan.cli import main

if __name__ == "__main__":
    sys.exit(main())

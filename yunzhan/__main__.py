import sys

from yunzhan.cli import main

sys.exit(main())

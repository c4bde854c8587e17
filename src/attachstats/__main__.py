import sys

from attachstats.cli import main

sys.exit(main())

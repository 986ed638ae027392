"""`python -m netsuite_sync` (from scripts/ or with the package installed)."""

import sys

from netsuite_sync.cli import main

sys.exit(main())

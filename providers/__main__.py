"""`python -m providers`: the command line (see `providers.cli`)."""

import sys

from providers.cli.main import main

sys.exit(main())

"""``python -m simulations`` runs the ssesim command line."""

import sys

from simulations.cli import main

sys.exit(main())

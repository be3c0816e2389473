"""``python -m simulations.bench`` runs the benchmark (see ``simulations.bench.cli``)."""

import sys

from simulations.bench.cli import main

sys.exit(main())

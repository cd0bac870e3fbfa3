"""``python -m mvad_engine``: see :mod:`mvad_engine.cli`."""
import sys

from mvad_engine.cli import main

sys.exit(main())

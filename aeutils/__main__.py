"""``python -m aeutils ...`` is the same as the ``aeutils`` command."""

import sys

from aeutils.cli import main

sys.exit(main())

"""The old name of :mod:`aeutils.validate` (input validation), kept so existing imports work.

``import aeutils.checks`` and ``from aeutils.checks import require_float`` give the very same
module object as ``aeutils.validate``.
"""

import sys

from aeutils import validate

sys.modules[__name__] = validate

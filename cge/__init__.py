"""cge: a GTAP-style multi-region CGE model of North American trade.

Public API: :func:`load_sam`, :func:`check_sam`, :class:`Scenario`, :func:`run`,
:func:`calibrate`.
"""

__version__ = "0.1.0"

from cge.aggregate import aggregate_sam  # noqa: E402
from cge.balance import cross_entropy, ras  # noqa: E402
from cge.calibrate import calibrate  # noqa: E402
from cge.runner import run  # noqa: E402
from cge.sam import check_sam, load_sam, save_sam  # noqa: E402
from cge.scenario import Scenario  # noqa: E402

__all__ = [
    "load_sam",
    "check_sam",
    "save_sam",
    "aggregate_sam",
    "ras",
    "cross_entropy",
    "Scenario",
    "run",
    "calibrate",
    "__version__",
]

"""Small numpy helpers."""

from __future__ import annotations

from typing import Final

import numpy as np

NONE: Final = np.array(None, dtype=object)
"""A 0-d object array holding None: the "missing" branch of ``np.where`` on object columns."""

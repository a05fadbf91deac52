"""The small-cell threshold: the smallest count that may leave the hub (CMS cell-size rule).

Every count the hub publishes, sends or logs for readers outside it passes
``warehouse.disclosure`` with this threshold (counts from 1 to 10 are withheld); an extract's
or alert's manifest records the threshold it was built with.
"""

from __future__ import annotations

from typing import Final

DISCLOSURE_THRESHOLD: Final = 11

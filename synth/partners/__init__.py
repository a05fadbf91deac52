"""The five partners of the synthetic region and how each writes its export."""

from __future__ import annotations

from typing import Final

from synth.partners import county, harbor, mercy, northside, riverside
from synth.partners.base import Counters, EventContext, PartnerSpec

PARTNERS: Final[dict[str, PartnerSpec]] = {
    spec.partner_id: spec
    for spec in (mercy.SPEC, riverside.SPEC, county.SPEC, harbor.SPEC, northside.SPEC)
}

__all__ = ["PARTNERS", "Counters", "EventContext", "PartnerSpec"]

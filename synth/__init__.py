"""The synthetic region generator behind ``carehub synth``.

>>> from synth import generate
>>> summary = generate(Path("region"), residents=20_000, seed=7)
>>> print("\\n".join(summary.lines()))
"""

from synth.config import (
    PARTNER_IDS,
    PROFILES,
    ErrorRates,
    MissingRates,
    ProgramEffect,
    SynthConfig,
    TierConfig,
    load_config,
    profile_config,
)
from synth.generate import RegionSummary, generate
from synth.partners import PARTNERS
from synth.truth import load_record_errors, load_residents, load_truth

__all__ = [
    "PARTNERS",
    "PARTNER_IDS",
    "PROFILES",
    "ErrorRates",
    "MissingRates",
    "ProgramEffect",
    "RegionSummary",
    "SynthConfig",
    "TierConfig",
    "generate",
    "load_config",
    "load_record_errors",
    "load_residents",
    "load_truth",
    "profile_config",
]

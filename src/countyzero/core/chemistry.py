"""Stoichiometric mass ratios used by the IPCC equations.

These are ratios of molar masses (C 12, O 16, N 14, H 1 — rounded as the IPCC Guidelines use them,
e.g. IPCC 2006 Vol. 2 Eq. 1.1 "44/12", Vol. 5 Eq. 3.1 "16/12", Vol. 4 Eq. 11.1 "44/28"), not emission
factors, so they are named constants here rather than rows of the factor library.
"""

from __future__ import annotations

CO2_PER_C = 44 / 12
"""t CO2 per t C (IPCC 2006 Vol. 2 Ch. 1 Eq. 1.1; Vol. 4 Eq. 2.9)."""

CH4_PER_C = 16 / 12
"""t CH4 per t C (IPCC 2006 Vol. 5 Ch. 3 Eq. 3.1 and 3.4)."""

N2O_PER_N2O_N = 44 / 28
"""t N2O per t N2O-N (IPCC 2006 Vol. 4 Ch. 11 Eq. 11.1; Vol. 5 Ch. 6 Eq. 6.7)."""

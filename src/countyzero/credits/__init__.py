"""Carbon value conversion (碳汇价值转化): CO2 removals → credits by vintage, their value, and a ledger.

* :mod:`~countyzero.credits.quantify` — equations (IPCC tier 1, BEF stock difference, Chave 2014, mangroves,
  ton-years);
* :mod:`~countyzero.credits.standards` — CCER / Verra / Gold Standard profiles (versioned data);
* :mod:`~countyzero.credits.eligibility`, :mod:`~countyzero.credits.vintages` — rules, deductions, issuance
  windows;
* :mod:`~countyzero.credits.engine` — :func:`estimate_credits`, :func:`ex_ante_batch`;
* :mod:`~countyzero.credits.valuation` — prices, NPV, pledge collateral;
* :mod:`~countyzero.credits.ledger` — serial-numbered SQLite ledger with a hash chain;
* :mod:`~countyzero.credits.county` — the sink series for the pathways engine.
"""

from countyzero.credits.county import SinkSeries, sink_series
from countyzero.credits.engine import CreditEstimate, estimate_all, estimate_credits, ex_ante_batch, removal_model
from countyzero.credits.ledger import Ledger
from countyzero.credits.model import STANDARDS, ProjectInput
from countyzero.credits.reader import read_project
from countyzero.credits.standards import load_profile

__all__ = [
    "STANDARDS", "CreditEstimate", "Ledger", "ProjectInput", "SinkSeries", "estimate_all", "estimate_credits",
    "ex_ante_batch", "load_profile", "read_project", "removal_model", "sink_series",
]

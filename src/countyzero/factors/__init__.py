"""The sourced factor library (see :mod:`countyzero.factors.library`)."""

from countyzero.factors.library import Factor, FactorLibrary, FactorMatch, default_library

__all__ = ["Factor", "FactorLibrary", "FactorMatch", "default_library"]

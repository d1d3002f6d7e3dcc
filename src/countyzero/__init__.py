"""CountyZero (县域零碳): plan, finance and verify a county's path to carbon neutrality."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("countyzero")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]

"""Domain errors.

Every error subclasses a builtin so callers that know nothing of CountyZero can still catch it
(``except ValueError``), and carries the place of the problem — file, row (or line id) and field —
so that a person can fix the input without reading a traceback.
"""

from __future__ import annotations


class CountyZeroError(Exception):
    """Base class of every error CountyZero raises on purpose."""


def _where(file: str | None, row: str | int | None, field: str | None) -> str:
    parts = []
    if file:
        parts.append(str(file))
    if row is not None and row != "":
        parts.append(f"row {row}" if isinstance(row, int) else f"line {row!r}")
    if field:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


class InputError(CountyZeroError, ValueError):
    """Input that cannot be used as given.

    Parameters
    ----------
    message : str
        What is wrong, in words a user understands.
    file, row, field : optional
        Where it is: the file name, the row number (1-based, header = row 1) or line id, the field.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: str | int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        where = _where(file, row, field)
        super().__init__(f"{where}: {message}" if where else message)

    def located(self, *, file: str | None = None) -> InputError:
        """The same error with the file filled in (when the reader knew it and the engine did not)."""
        return type(self)(self.message, file=self.file or file, row=self.row, field=self.field)


class UnitError(InputError):
    """A unit that is unknown or cannot be converted to the unit a factor needs."""


class FactorNotFoundError(CountyZeroError, LookupError):
    """No factor in the library matches a query (after every fallback)."""


class FactorDataError(InputError):
    """A factor data file that breaks the schema (raised while loading, naming file, row and field)."""

"""Errors that name the file and line, and the policy for bad input lines."""

from __future__ import annotations

import dataclasses


class DataError(ValueError):
    """Bad input data, located by file and (when known) 1-based line number."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple:  # pickled whole (a parallel run's worker hands it to the runner)
        return (DataError, (self.path, self.line, self.message))


@dataclasses.dataclass
class Rejects:
    """Collects bad lines. Policy 'error' raises at the first one; 'skip' records and goes on."""

    policy: str = "error"
    rows: list[DataError] = dataclasses.field(default_factory=list)

    def reject(self, path: str, line: int | None, message: str) -> None:
        error = DataError(path, line, message)
        if self.policy == "error":
            raise error
        self.rows.append(error)

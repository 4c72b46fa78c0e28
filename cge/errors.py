"""The user-facing error types, in one light module (no NumPy, pandas or solver imports) so the
command line can catch them without loading the model stack. Each is re-exported by the module
that raises it (``cge.sam.SamError``, ``cge.calibrate.CalibrationError``,
``cge.scenario.ScenarioError``, ``cge.solve.SolveError``, ``cge.gtap.HarError``,
``cge.gtap.DatabaseError``, ``cge.gtap.CmfError``)."""

from __future__ import annotations


class SamError(ValueError):
    """A SAM violates the schema or does not balance; the message names every failing account."""


class CalibrationError(ValueError):
    """The SAM or the elasticities cannot be calibrated; the message names the item."""


class ScenarioError(ValueError):
    """A scenario names something the model does not have, or is malformed."""


class HarError(ValueError):
    """A GEMPACK header array (HAR) file cannot be read or an array cannot be written as one; the
    message names the file and the header."""


class DatabaseError(ValueError):
    """A GTAP database is missing a header, has arrays of the wrong shape, or fails an identity;
    the message names the file or header, where, and by how much."""


class CmfError(ValueError):
    """A GEMPACK command (CMF) file has a statement this project does not support, or names a set
    or element the database does not have; the message names the statement and its line."""


class ResultsFileError(ValueError):
    """A file given as results is not a cge results file of this format; the message names the file."""


class SolveError(RuntimeError):
    """A solve that did not reach an accepted solution; carries diagnostics.

    Attributes
    ----------
    residuals : pandas.DataFrame
        Largest residuals by equation block and index (columns block, index, residual).
    structural : str
        Dulmage–Mendelsohn summary (under/over-constrained parts), if computed.
    """

    def __init__(self, message: str, residuals=None, structural: str = ""):
        if residuals is None:
            import pandas as pd

            residuals = pd.DataFrame()
        self.residuals = residuals
        self.structural = structural
        parts = [message]
        if len(self.residuals):
            parts.append("largest residuals:\n" + self.residuals.head(10).to_string(index=False))
        if structural:
            parts.append(structural)
        super().__init__("\n".join(parts))


class IndicatorError(ValueError):
    """Results and database that indicators cannot be computed from (labels that differ, a region
    or satellite a measure needs); the message names the item."""


class BatchSolveError(SolveError):
    """Some scenarios of a batch did not solve; the others are kept.

    Attributes
    ----------
    failures : dict
        Scenario name -> its :class:`SolveError` (with diagnostics).
    partial : xarray.Dataset or None
        The scenarios that solved, finished as :func:`cge.run` would (attr ``failed_scenarios``:
        JSON list of ``{scenario, error}``); None when nothing useful solved (only the baseline,
        or the reference scenario failed).
    """

    def __init__(self, message: str, failures: dict, partial=None):
        first = next(iter(failures.values()))
        super().__init__(message, first.residuals, first.structural)
        self.failures = failures
        self.partial = partial

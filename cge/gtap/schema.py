"""The GTAP v7 database schema: one row per set, data header, parameter and rate.

``schema.csv`` beside this module is the single source for loading (file, header, dims, required),
checking (``range``), aggregating (``aggregate``: ``sum``, ``same``, ``drop`` or the headers whose
flows weight a parameter, ``world:`` weighting by world totals), writing (header names) and the
schema table of ``docs/gtap_database.md``. Dims list the schema order; ``|`` separates accepted
alternatives (older parameter files hold some elasticities without the REG dimension).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).resolve().parent / "schema.csv"

FILES = {"sets": "sets.har", "basedata": "basedata.har", "default": "default.prm", "baserate": "baserate.har"}
"""Role of a file in a GTAP database directory -> its usual name (matched case-insensitively)."""
REQUIRED_FILES = ("sets", "basedata", "default")

REG, COMM, ACTS, ENDW, MARG = "REG", "COMM", "ACTS", "ENDW", "MARG"
REG_2 = "REG_2"
ENDWT = "ENDWT"
"""Endowment types (mobile, sluggish, fixed): the second dim of ENDOWFLAG."""
SETS = (REG, COMM, ACTS, ENDW, MARG)
ENDOWMENT_SUBSETS = ("ENDM", "ENDS", "ENDF")
"""Mobile, sluggish and sector-specific endowments: a partition of ENDW."""
ENDOWMENT_TYPES = {"ENDM": "mobile", "ENDS": "sluggish", "ENDF": "fixed"}
"""Subset -> its element of ENDWT in ENDOWFLAG."""
CAPITAL = "ENDC"
NON_MARGIN = "NMRG"
MONEY = "US$ million"


@dataclass(frozen=True)
class Entry:
    """One row of ``schema.csv``."""

    header: str
    name: str
    kind: str
    file: str
    alternatives: tuple[tuple[str, ...], ...]
    units: str
    required: bool
    range: str
    aggregate: str
    long_name: str

    @property
    def dims(self) -> tuple[str, ...]:
        """The schema's dims, in order (the first alternative)."""
        return self.alternatives[0]

    def dims_for(self, dims) -> tuple[str, ...] | None:
        """The accepted alternative with the same set of dims as ``dims``, else None."""
        return next((alt for alt in self.alternatives if set(alt) == set(dims) and len(alt) == len(dims)), None)

    def attrs(self) -> dict[str, str]:
        """The xarray attrs of the array: long name, units, GTAP header."""
        return {"long_name": self.long_name, "units": self.units, "header": self.header}


def _alternatives(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(part.split()) for part in text.split("|")) or ((),)


@cache
def schema() -> dict[str, Entry]:
    """The schema by Dataset name (GTAP header for data, TABLO coefficient name for parameters)."""
    with open(_TABLE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    entries = {}
    for row in rows:
        entry = Entry(
            header=row["header"],
            name=row["name"],
            kind=row["kind"],
            file=row["file"],
            alternatives=_alternatives(row["dims"]),
            units=row["units"],
            required=row["required"] == "yes",
            range=row["range"],
            aggregate=row["aggregate"],
            long_name=row["long_name"],
        )
        entries[entry.name] = entry
    return entries


@cache
def by_header() -> dict[str, Entry]:
    """The schema by upper-case header name."""
    return {e.header.upper(): e for e in schema().values()}


def entries(kind: str) -> list[Entry]:
    """The rows of one kind (set, subset, data, parameter, rate), in table order."""
    return [e for e in schema().values() if e.kind == kind]


SCHEMA: dict[str, Entry] = schema()
"""The schema by Dataset name, in table order (see :func:`schema`)."""


SATELLITE_HEADERS = {
    "employment": "EMPL",
    "usmca_claim_share": "UCLM",
    "usmca_nonclaimed_rate": "UNCR",
    "mfn_rate": "MFNR",
    "domestic_trade_margins": "DTRM",
    "goods_purchases_purchaser": "GPUR",
}
"""Satellite → its four-character header in ``basedata.har`` (not read by GTAP's TABLO code)."""

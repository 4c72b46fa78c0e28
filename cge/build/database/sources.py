"""Paths of the raw files the open database reads (``../shared/data/national`` and friends).

The database build reads, besides the files of :class:`cge.build.sources.SourceFiles` (WIOD 2013,
WIOD-SEA USA, ILO, PWT, controls), the national tables of ``national/`` (see its README and
``SOURCES.csv``). Missing files stop the build with one line naming every missing path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cge.build.sources import BuildInputError, SourceFiles, read_csv_checked

BEA_YEAR = 2023
"""Newest year of the BEA summary supply-use tables in ``national/usa_bea_sut``."""
WIOD16_YEAR = 2014
"""Newest year of the WIOD 2016 release national tables and socio-economic accounts."""
INEGI_YEAR = 2018
NBS_YEAR = 2020
STATCAN_YEAR = 2023
"""Newest year of Statistics Canada table 36-10-0221 in the raw file."""


@dataclass(frozen=True)
class NationalFiles:
    """The raw files of the open database build.

    Attributes
    ----------
    base : cge.build.sources.SourceFiles
        WIOD 2013, WIOD-SEA USA, ILO, PWT, ``controls.csv``, ``controls_2024_sector.csv``.
    """

    base: SourceFiles
    bea_use: Path
    bea_supply: Path
    bea_imports: Path
    niot: dict[str, Path]
    sea: Path
    inegi: Path
    nbs: Path
    statcan: Path
    us_imports: Path
    hs6_gtap: Path
    services: Path
    exchange_rates: Path

    @classmethod
    def from_dir(cls, data_dir: str | Path) -> NationalFiles:
        """Resolve and check every file under ``data_dir``.

        Raises
        ------
        BuildInputError
            Naming every missing file.
        """
        root = Path(data_dir)
        base = SourceFiles.from_dir(root)
        nat = root / "national"
        files = cls(
            base=base,
            bea_use=nat / "usa_bea_sut" / f"use_sut_{BEA_YEAR}.csv",
            bea_supply=nat / "usa_bea_sut" / f"supply_{BEA_YEAR}.csv",
            bea_imports=nat / "usa_bea_sut" / f"import_matrix_{BEA_YEAR}.csv",
            niot={c: nat / "wiod2016_niot" / f"{c.lower()}_niot_2010_2014.csv" for c in ("USA", "CAN", "MEX", "CHN")},
            sea=nat / "wiod2016_sea" / "sea_can_usa_2010_2014.csv",
            inegi=nat / "mex_inegi_mip_2018" / "conjunto_de_datos_mip_cdi_ixi_12018.csv",
            nbs=nat / "chn_nbs_io_2020" / f"china_{NBS_YEAR}_42.csv",
            statcan=nat / "can_statcan" / "factor_of_production_detail_StatCan.csv",
            us_imports=nat / "us_imports_2024" / "us_imports_2024_hs6.csv",
            hs6_gtap=nat / "us_imports_2024" / "hs6_gtap_crosswalk.csv",
            services=nat / "services_trade_2024.csv",
            exchange_rates=nat / "exchange_rates.csv",
        )
        missing = [str(p) for p in files.paths().values() if not p.is_file()]
        if missing:
            raise BuildInputError(f"source data directory {root}: missing file(s) {missing}")
        return files

    def paths(self) -> dict[str, Path]:
        """Name → path of every national file (not the base files)."""
        out = {}
        for key, value in self.__dict__.items():
            if key == "base":
                continue
            if isinstance(value, dict):
                out.update({f"{key}_{k}": v for k, v in value.items()})
            else:
                out[key] = value
        return out

    def digests(self) -> dict[str, str]:
        """SHA-256 of every file read, keyed by its path relative to the data directory."""
        out = self.base.digests()
        for path in self.paths().values():
            out[str(path.relative_to(self.base.data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


def exchange_rate(path: Path, currency: str, year: int) -> float:
    """Units of ``currency`` per US$ in ``year`` (Federal Reserve G.5A, ``national/exchange_rates.csv``).

    Raises
    ------
    BuildInputError
        If the file has no row for the currency and year.
    """
    frame = read_csv_checked(path, ["currency", "year", "per_usd"], ["year", "per_usd"], dtype_str=["currency"])
    rows = frame[(frame["currency"] == currency) & (frame["year"] == year)]
    if len(rows) != 1:
        raise BuildInputError(f"{path}: no single row for {currency} {year}")
    return float(rows["per_usd"].iloc[0])


def read_indexed(path: Path, what: str) -> pd.DataFrame:
    """A CSV whose first column holds row codes (BEA tables), numbers everywhere else."""
    try:
        frame = pd.read_csv(path, index_col=0)
    except (FileNotFoundError, pd.errors.ParserError) as err:
        raise BuildInputError(f"{path}: cannot read {what} ({err})") from err
    frame.index = frame.index.astype(str).str.strip()
    bad = frame.apply(pd.to_numeric, errors="coerce").isna() & frame.notna()
    if bad.any().any():
        row, col = bad.stack()[bad.stack()].index[0]
        raise BuildInputError(f"{path}: {what} cell ({row}, {col}) is not a number: {frame.loc[row, col]!r}")
    return frame.apply(pd.to_numeric, errors="coerce").fillna(0.0)

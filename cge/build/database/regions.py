"""The model regions of the open database and the source of each region's table.

Regions are groups of the 41 WIOD 2013 regions (``calibration/mappings/regions_wiod41.csv``, or a
user's file with the same columns). A region that is exactly one of the countries with a national
table in ``national/`` (USA, CAN, MEX, CHN) is read from that table; a region made only of other
WIOD regions takes the WIOD 2013 table for 2011 (:mod:`cge.build.database.wiod13`), the sourced
default for regions the national files do not cover. A region that pools a national-table
country with other countries stops the build: the tables cannot be summed consistently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cge.build.mapping import REGION_FILE
from cge.build.sources import BuildInputError, read_csv_checked

NATIONAL_SOURCES = {
    "USA": "BEA summary supply-use tables 2023 (national/usa_bea_sut)",
    "CAN": "WIOD 2016 release national table 2014 with Statistics Canada 36-10-0221 2023 (national/wiod2016_niot, "
    "national/can_statcan)",
    "MEX": "WIOD 2016 release national table 2014 resized to INEGI MIP 2018 (national/wiod2016_niot, "
    "national/mex_inegi_mip_2018)",
    "CHN": "NBS input-output table 2020 (national/chn_nbs_io_2020)",
}
"""WIOD country → the national table that describes it."""
WIOD13_SOURCE = "WIOD 2013 release world table 2011 (wiod2013/)"


@dataclass(frozen=True)
class RegionSet:
    """Model regions, their WIOD members and the table each one is read from.

    Attributes
    ----------
    regions : tuple of str
    members : dict
        Region → WIOD region codes.
    national : dict
        Region → WIOD country with a national table, or None for a WIOD 2013 region.
    """

    regions: tuple[str, ...]
    members: dict[str, tuple[str, ...]]
    national: dict[str, str | None]

    def region_of(self) -> dict[str, str]:
        """WIOD region → model region."""
        return {m: r for r, ms in self.members.items() for m in ms}

    def source(self, region: str) -> str:
        code = self.national[region]
        return NATIONAL_SOURCES[code] if code else f"{WIOD13_SOURCE}: {' '.join(self.members[region])}"


def read_regions(mapping_dir: Path) -> RegionSet:
    """Read ``regions_wiod41.csv`` from ``mapping_dir`` and assign each region its table.

    Raises
    ------
    BuildInputError
        If the file is malformed, or a region pools a country that has a national table with
        other WIOD regions (one line naming the region and the countries).
    """
    path = Path(mapping_dir) / REGION_FILE
    frame = read_csv_checked(path, ["wiod_region", "region"], dtype_str=["wiod_region", "region"])
    if "order" in frame.columns:
        frame = frame.sort_values("order", kind="stable")
    dup = frame["wiod_region"][frame["wiod_region"].duplicated()]
    if len(dup):
        raise BuildInputError(f"{path}: wiod_region {sorted(set(dup))} appear more than once")
    regions = tuple(dict.fromkeys(frame["region"].str.strip()))
    members = {r: tuple(frame.loc[frame["region"] == r, "wiod_region"]) for r in regions}
    national: dict[str, str | None] = {}
    for region, ms in members.items():
        with_table = [m for m in ms if m in NATIONAL_SOURCES]
        if with_table and len(ms) > 1:
            raise BuildInputError(
                f"{path}: region {region} pools {with_table} (national tables in national/) with "
                f"{[m for m in ms if m not in with_table]}; "
                "the tables cannot be pooled: give each of these countries its own region"
            )
        national[region] = with_table[0] if with_table else None
    return RegionSet(regions, members, national)

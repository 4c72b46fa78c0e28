"""GEMPACK command (CMF) files: the subset a GTAP run needs, parsed into a :class:`CmfSpec`.

Supported statements (case-insensitive; ``!`` starts a comment to the end of the line; a statement
ends with ``;`` and may span lines): ``file X = path``, ``updated file X = path``,
``auxiliary files = name``, ``method = ...``, ``steps = n ...``, ``subintervals = n``,
``automatic accuracy = yes|no``, ``verbal description = text``, ``exogenous v v(args) ...``,
``endogenous ...``, ``rest endogenous``, ``rest exogenous``, ``swap a(args) = b(args)``, shocks
``shock|ashock|tshock|change v(args) = uniform x | x1 x2 ... | file F header "H"`` (values may
repeat as ``3*1.5``), and the run options that do not change the solution (``cpu``, ``nds``,
``log file``, ``log only``, ``extrapolation accuracy file``, ...), which are recorded. Anything
else (``xset``, ``xsubset``, ``final_level``, ``select from``, component numbers, ...) is refused
in one line naming the statement and its line.

Arguments of a variable are kept as written: set names (``REG``, ``NMRG``, ``ENDWS``, ...) or quoted
element labels. :func:`select` turns them into a mask over a variable's dims using a database.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from cge.errors import CmfError
from cge.gtap import schema as sc
from cge.input_files import MAX_TEXT_BYTES, regular_file

__all__ = [
    "CmfError",
    "CmfSpec",
    "Arg",
    "VarRef",
    "Shock",
    "read_cmf",
    "parse_cmf",
    "select",
    "set_labels",
    "database_source",
]

SHOCK_KINDS = ("shock", "ashock", "tshock", "change")
"""``shock``: percentage change; ``ashock``: added on top of other shocks; ``tshock``: replaces
them; ``change``: an ordinary change (of a change variable, or of the level of a % variable)."""
DATABASE_FILE_ROLES = {"GTAPSETS": "sets", "GTAPDATA": "basedata", "GTAPPARM": "default"}
"""Logical file names of GTAP's TABLO code -> the role of the file in :func:`cge.gtap.load_database`."""
RUN_OPTIONS = (
    "cpu",
    "nds",
    "log file",
    "log only",
    "extrapolation accuracy file",
    "solution file",
    "model",
    "start with mmnz",
    "report newton errors",
    "sets file",
    "equations file",
)
"""Statements that only steer GEMPACK's run or its output files: recorded in ``CmfSpec.options``."""


@dataclass(frozen=True)
class Arg:
    """One argument of a variable: a set name, or an element label (quoted in the file)."""

    value: str
    is_element: bool

    def __str__(self) -> str:
        return f'"{self.value}"' if self.is_element else self.value


@dataclass(frozen=True)
class VarRef:
    """A variable with its arguments as written, e.g. ``dpsave("USA")`` or ``qo(ENDW, REG)``;
    ``where``: the CMF file and line it was read from (``"run.cmf:12"``), for messages."""

    name: str
    args: tuple[Arg, ...] = ()
    where: str = field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        return self.name + (f"({', '.join(map(str, self.args))})" if self.args else "")


@dataclass(frozen=True)
class Shock:
    """A shock statement: ``values`` (listed), ``uniform`` or ``file``/``header``; ``line`` in the file."""

    kind: str
    var: VarRef
    uniform: float | None = None
    values: tuple[float, ...] | None = None
    file: str | None = None
    header: str | None = None
    line: int = 0
    where: str = field(default="", compare=False, repr=False)
    """The CMF file and line (``"run.cmf:12"``), for messages."""


@dataclass
class CmfSpec:
    """What a CMF file asks for. File paths are as written (relative to ``path``'s directory)."""

    path: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    updated_files: dict[str, str] = field(default_factory=dict)
    auxiliary_files: str | None = None
    method: str | None = None
    steps: tuple[int, ...] = ()
    subintervals: int | None = None
    automatic_accuracy: bool | None = None
    verbal_description: str = ""
    exogenous: list[VarRef] = field(default_factory=list)
    endogenous: list[VarRef] = field(default_factory=list)
    rest: str | None = None
    """``"endogenous"`` or ``"exogenous"`` (``rest endogenous;``), or None."""
    swaps: list[tuple[VarRef, VarRef]] = field(default_factory=list)
    shocks: list[Shock] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> Path:
        """A file path of the CMF, relative to the CMF's directory."""
        path = Path(name)
        return path if path.is_absolute() or self.path is None else self.path.parent / path

    def database_files(self, directory: Path | None = None) -> dict[str, Path]:
        """The database files the CMF names (``file GTAPSETS/GTAPDATA/GTAPPARM = ...``) by their
        role in :func:`cge.gtap.load_database` (``sets``, ``basedata``, ``default``): relative to
        the CMF's directory, else to ``directory`` (a database given beside the CMF, where
        GEMPACK would be run).

        Raises
        ------
        CmfError
            Naming the CMF, the statement and the path when a named file is not there.
        """
        out = {}
        for name, value in self.files.items():
            role = DATABASE_FILE_ROLES.get(name.upper())
            if role is None:
                continue
            path = self.resolve(value)
            if not path.is_file() and directory is not None and (directory / value).is_file():
                path = directory / value
            if not path.is_file():
                why = "no such file" if not path.exists() else "not a file"
                raise CmfError(f"{self.path or 'CMF'}: file {name} = {value}: {why} ({path})")
            out[role] = path
        return out

    def shock_files(self) -> list[Path]:
        """The files its shocks read (``shock v = file F header "H"``)."""
        return [self.resolve(s.file) for s in self.shocks if s.file is not None]


def database_source(spec: CmfSpec, directory: str | os.PathLike | None = None) -> tuple[Path | None, dict[str, Path]]:
    """The database directory and the files of a CMF run, for :func:`cge.gtap.load_database`.

    Parameters
    ----------
    spec : CmfSpec
        The parsed CMF: its ``file GTAPSETS/GTAPDATA/GTAPPARM`` statements name the files.
    directory : path, optional
        A database directory given beside the CMF (``cge gtap run DB --cmf F``; the CMF's file
        names are also looked for there); default: the directory of the CMF's GTAPDATA file.

    Raises
    ------
    CmfError
        When a named file is missing, or the CMF's GTAPDATA is not the ``basedata.har`` of
        ``directory`` (two databases named: which one to solve?).
    """
    if directory is None:
        files = spec.database_files()
        data = files.get("basedata")
        return (data.parent if data is not None else None), files
    directory = Path(directory)
    files = spec.database_files(directory)
    data = files.get("basedata")
    if data is not None and directory.is_dir():
        from cge.gtap.database import locate_files

        own = locate_files(directory).get("basedata")
        if own is None or not os.path.samefile(own, data):
            raise CmfError(
                f"{spec.path or 'CMF'}: its file GTAPDATA is {data}, but the database given is {directory}: "
                "name the database once (the argument or the CMF's file statements)"
            )
    return directory, files


# ---------------------------------------------------------------------------------------------
# parsing

_NAME = r"[A-Za-z][A-Za-z0-9_@]*"
_VAR = re.compile(rf"\s*({_NAME})\s*(\(\s*[^()]*\))?")
_HEADER = re.compile(r'^file\s+(\S+)\s+header\s+"?([^"\s]+)"?$', re.I)


def read_cmf(path: str | os.PathLike) -> CmfSpec:
    """Parse a GEMPACK command file (plain text: ASCII, Latin-1 or UTF-8).

    Raises
    ------
    CmfError
        One line naming the file, the line and the statement that is not supported or malformed;
        a file that is not a regular file (a FIFO, a device), larger than
        :data:`cge.input_files.MAX_TEXT_BYTES`, or UTF-16 text.
    """
    path = regular_file(path, "command file", CmfError)
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise CmfError(f"{path}: {size:,} bytes; a command file is text of at most {MAX_TEXT_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise CmfError(f"{path}: cannot read ({exc.strerror})") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise CmfError(f"{path}: UTF-16 text (or binary); GEMPACK reads command files as plain text: save it as ASCII")
    text = data.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    return parse_cmf(text, path)


def _statements(text: str) -> list[tuple[int, str]]:
    """(line number, statement text without the ';') with comments removed."""
    out: list[tuple[int, str]] = []
    buffer: list[str] = []
    start, in_quote = 0, False  # start: line of the statement's first character (0: none yet)
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            if char == '"':
                in_quote = not in_quote
            if char == "!" and not in_quote:
                break
            if char == ";" and not in_quote:
                statement = "".join(buffer).strip()
                if statement:
                    out.append((start, statement))
                buffer, start = [], 0
                continue
            if start == 0 and not char.isspace():
                start = number
            buffer.append(char)
        buffer.append("\n")
    if "".join(buffer).strip():
        out.append((start, "".join(buffer).strip() + " (no closing ';')"))
    return out


def parse_cmf(text: str, path: Path | None = None) -> CmfSpec:
    """Parse the text of a CMF file (see :func:`read_cmf`)."""
    spec = CmfSpec(path=path)
    where = str(path) if path else "CMF"
    for line, statement in _statements(text):
        flat = " ".join(statement.split())
        try:
            _apply(spec, flat, line)
        except CmfError as exc:
            raise CmfError(f"{where}:{line}: {exc}") from None
    return spec


def _apply(spec: CmfSpec, flat: str, line: int) -> None:
    where = f"{spec.path if spec.path is not None else 'CMF'}:{line}"
    low = flat.lower()
    key, eq, value = (part.strip() for part in flat.partition("="))
    key_low = " ".join(key.lower().split())
    if flat.endswith("(no closing ';')"):
        raise CmfError(f"statement {flat[:60]!r} has no closing ';'")
    if eq and key_low.startswith("file "):
        spec.files[key.split(None, 1)[1].strip()] = value
    elif eq and key_low.startswith("updated file "):
        spec.updated_files[key.split(None, 2)[2].strip()] = value
    elif eq and key_low == "auxiliary files":
        spec.auxiliary_files = value
    elif eq and key_low == "method":
        spec.method = value
    elif eq and key_low == "steps":
        spec.steps = tuple(_integer(v, "steps") for v in value.split())
    elif eq and key_low == "subintervals":
        spec.subintervals = _integer(value, "subintervals")
    elif eq and key_low == "automatic accuracy":
        spec.automatic_accuracy = _yes_no(value, "automatic accuracy")
    elif eq and key_low == "verbal description":
        spec.verbal_description = value
    elif low.startswith(("exogenous ", "endogenous ")) and not eq:
        kind, _, items = flat.partition(" ")
        (spec.exogenous if kind.lower() == "exogenous" else spec.endogenous).extend(_variables(items, where))
    elif low in ("rest endogenous", "rest exogenous"):
        spec.rest = low.split()[1]
    elif eq and key_low.startswith("swap "):
        left, right = _variables(key.split(None, 1)[1], where), _variables(value, where)
        if len(left) != 1 or len(right) != 1:
            raise CmfError(f"swap {flat[5:60]!r}: one variable on each side expected")
        spec.swaps.append((left[0], right[0]))
    elif eq and key_low.split()[0] in SHOCK_KINDS:
        spec.shocks.append(_shock(key, value, line, where))
    elif eq and key_low in RUN_OPTIONS:
        spec.options[key_low] = value
    else:
        raise CmfError(f"statement {flat[:60]!r} is not supported (supported: {_SUPPORTED})")


_SUPPORTED = (
    "file, updated file, auxiliary files, method, steps, subintervals, automatic accuracy, verbal description, "
    "exogenous, endogenous, rest endogenous/exogenous, swap, shock/ashock/tshock/change, run options"
)


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CmfError(f"{what} = {text!r} is not an integer") from None


def _yes_no(text: str, what: str) -> bool:
    if text.lower() not in ("yes", "no"):
        raise CmfError(f"{what} = {text!r}: yes or no expected")
    return text.lower() == "yes"


def _variables(text: str, where: str = "") -> list[VarRef]:
    """Variables of a list such as ``pop tm("food", REG, REG) qo(ENDW,REG)`` (``where``: the file
    and line, kept on each for messages)."""
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _VAR.match(text, pos)
        if match is None or match.end() == pos:
            raise CmfError(f"cannot read a variable at {text[pos : pos + 30]!r}")
        out.append(VarRef(match.group(1), _args(match.group(2)), where))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _args(text: str | None) -> tuple[Arg, ...]:
    if not text:
        return ()
    args = []
    for part in text.strip()[1:-1].split(","):
        part = part.strip()
        if re.fullmatch(r'"[^"]+"', part):
            args.append(Arg(part[1:-1], True))
        elif re.fullmatch(_NAME, part):
            args.append(Arg(part, False))
        else:
            raise CmfError(f"argument {part!r} is neither a set name nor a quoted element")
    return tuple(args)


def _number(text: str) -> list[float]:
    """``"1.5"`` or GEMPACK's repeat ``"3*1.5"`` as values; NaN and infinities are refused."""
    count, star, value = text.partition("*")
    try:
        values = [float(value)] * int(count) if star else [float(text)]
    except ValueError:
        raise CmfError(f"{text!r} is not a number") from None
    if star and int(count) < 1:
        raise CmfError(f"{text!r}: the repeat count before '*' must be a whole number of at least 1")
    if not all(map(math.isfinite, values)):
        raise CmfError(f"{text!r} is not a finite number")
    return values


def _shock(key: str, value: str, line: int, where: str = "") -> Shock:
    kind, _, target = key.partition(" ")
    variables = [] if re.search(r"\s\d", target.strip()) else _variables(target)
    if len(variables) != 1:
        raise CmfError(f"{key!r}: shocks of component numbers are not supported; name the elements instead")
    var, kind = variables[0], kind.lower()
    words = value.split()
    if words and words[0].lower() == "uniform" and len(words) == 2:
        return Shock(kind, var, uniform=_number(words[1])[0], line=line, where=where)
    if words and words[0].lower() == "select":
        raise CmfError(f"{kind} {var} = select from ...: not supported; shock the elements by name")
    header = _HEADER.match(value)
    if header:
        return Shock(kind, var, file=header.group(1), header=header.group(2), line=line, where=where)
    if words and words[0].lower() in ("file", "coefficient"):
        raise CmfError(f'{kind} {var} = {value[:40]}: only `file F header "H"` is supported')
    values = tuple(v for word in words for v in _number(word))
    if not values:
        raise CmfError(f"{kind} {var}: no value")
    return Shock(kind, var, values=values, line=line, where=where)


# ---------------------------------------------------------------------------------------------
# sets and masks

SUBSET_COORDS: dict[str, tuple[str, ...]] = {
    "ENDWM": ("ENDM",),
    "ENDWS": ("ENDS",),
    "ENDWF": ("ENDF",),
    "ENDWC": ("ENDC",),
}
SUBSET_COORDS |= {"ENDWMS": ("ENDM", "ENDS"), "ENDWFS": ("ENDF", "ENDS")}
SUBSET_COORDS |= {name: (name,) for name in ("ENDM", "ENDS", "ENDF", "ENDC")}
"""TABLO endowment subsets (and the sets.har header names) -> the coordinates they unite."""


def known_sets(ds: xr.Dataset) -> list[str]:
    return [*sc.SETS, sc.NON_MARGIN, "DEMD", *SUBSET_COORDS, *(str(c) for c in ds.dims if c not in sc.SETS)]


def set_labels(name: str, ds: xr.Dataset) -> list[str]:
    """The elements of a GTAP set or subset (TABLO name, case-insensitive) in a database.

    Raises
    ------
    CmfError
        For a set the database does not have, with the closest names.
    """
    upper = name.upper()
    base = upper.rsplit("_", 1)[0] if upper.rsplit("_", 1)[-1].isdigit() else upper
    if base in (sc.REG, sc.COMM, sc.ACTS, sc.ENDW, sc.MARG):
        return [str(v) for v in ds[base].values]
    if base == sc.NON_MARGIN:
        return [str(v) for v in ds[sc.COMM].values[ds[sc.NON_MARGIN].values]]
    if base == "DEMD":
        return set_labels(sc.COMM, ds) + set_labels(sc.ENDW, ds)
    if base in SUBSET_COORDS:
        mask = np.any([ds[c].values for c in SUBSET_COORDS[base]], axis=0)
        return [str(v) for v in ds[sc.ENDW].values[mask]]
    match = next((str(d) for d in ds.dims if str(d).upper() == upper), None)
    if match is not None:
        return [str(v) for v in ds[match].values]
    raise CmfError(f"unknown set {name!r}{_did_you_mean(name, known_sets(ds))}")


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    close = close or difflib.get_close_matches(name.upper(), [c.upper() for c in choices], n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def select(args: tuple[Arg, ...], dims: tuple[str, ...], ds: xr.Dataset) -> xr.DataArray:
    """Mask over a variable's dims of the components that ``args`` name.

    Parameters
    ----------
    args : tuple of Arg
        As parsed (``VarRef.args``); empty means every component.
    dims : tuple of str
        The variable's dims, named by GTAP sets (``REG_2`` is a second REG; a subset name such as
        ``ENDWS`` or ``NMRG`` is a dim over that subset).
    ds : xarray.Dataset
        The database whose sets and subsets give the elements.

    Returns
    -------
    xarray.DataArray of bool
        Over ``dims``, with the element labels as coordinates.

    Raises
    ------
    CmfError
        One line: wrong number of arguments, an unknown set or element (with "did you mean"), or
        a set that is not a subset of the dim's set.
    """
    coords = {dim: set_labels(dim, ds) for dim in dims}
    mask = xr.DataArray(np.ones([len(v) for v in coords.values()], dtype=bool), dims=dims, coords=coords)
    if not args:
        return mask
    if len(args) != len(dims):
        raise CmfError(f"{len(args)} arguments ({', '.join(map(str, args))}) for a variable over {dims}")
    for arg, dim in zip(args, dims):
        labels = coords[dim]
        if arg.is_element:
            chosen = [arg.value] if arg.value in labels else [x for x in labels if x.lower() == arg.value.lower()]
            if len(chosen) != 1:
                raise CmfError(f'element "{arg.value}" is not in {dim}{_did_you_mean(arg.value, labels)}')
        else:
            chosen = set_labels(arg.value, ds)
            outside = sorted(set(chosen) - set(labels))
            if outside:
                raise CmfError(f"set {arg.value} is not a subset of {dim}: {outside} are not in it")
        mask = mask & xr.DataArray(np.isin(labels, chosen), dims=[dim], coords={dim: labels})
    return mask.transpose(*dims)


def shock_values(shock: Shock, dims: tuple[str, ...], ds: xr.Dataset, spec: CmfSpec | None = None) -> xr.DataArray:
    """The shock over the variable's dims: the value on shocked components, NaN elsewhere.

    Listed values fill the shocked components in GEMPACK's order (first index fastest); a HAR
    header holds either the whole variable or exactly the shocked components.

    Raises
    ------
    CmfError
        Naming the statement's line when the number of values differs from the number of
        shocked components, or the file or header is missing.
    """
    with at(shock.where or f"line {shock.line}"):
        mask = select(shock.var.args, dims, ds)
        out = xr.full_like(mask, np.nan, dtype=float)
        count = int(mask.sum())
        if shock.uniform is not None:
            return out.where(~mask, shock.uniform)
        if shock.values is not None:
            values = np.asarray(shock.values, dtype=float)
        elif shock.file is not None:
            values = _file_values(shock, mask, spec)
        else:
            raise CmfError(f"{shock.kind} {shock.var} has no value, no values and no file")
        if values.size == mask.size and values.size != count:
            flat_values = values
        elif values.size == count:
            flat_values = np.full(mask.size, np.nan)
            flat_values[np.flatnonzero(mask.values.ravel(order="F"))] = values.ravel(order="F")
        else:
            raise CmfError(f"{shock.var} has {count} shocked components and {values.size} values")
        filled = flat_values.reshape(mask.shape, order="F")
        return out.copy(data=np.where(mask.values, filled, np.nan))


def _file_values(shock: Shock, mask: xr.DataArray, spec: CmfSpec | None) -> np.ndarray:
    """The values of a shock's ``file F header "H"``, flat in GEMPACK's order; NaN or infinite
    values are refused naming the cell (a NaN would leave its component unshocked)."""
    from cge.errors import HarError
    from cge.gtap.har import read_har

    file = shock.file
    if file is None:
        raise CmfError(f"{shock.kind} {shock.var} has no value, no values and no file")
    path = spec.resolve(file) if spec is not None else Path(file)
    try:
        arrays = read_har(path)
    except HarError as exc:
        raise CmfError(str(exc)) from None
    match = next((k for k in arrays if k.upper() == str(shock.header).upper()), None)
    if match is None:
        raise CmfError(f"{path} has no header {shock.header!r} (it has {list(arrays)})")
    da = arrays[match]
    if set(da.dims) == set(mask.dims) and all(d in da.indexes for d in mask.dims):
        try:
            da = da.transpose(*mask.dims).sel({d: mask[d].values for d in mask.dims})
        except KeyError as exc:
            raise CmfError(f"header {match} of {path} lacks the element {exc}") from None
    values = np.asarray(da.values, dtype=float)
    if not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))
        first = ", ".join(f"{d}={da[d].values[i] if d in da.indexes else i}" for d, i in zip(da.dims, bad[0]))
        raise CmfError(f"header {match} of {path} has {len(bad)} NaN/inf values, first at {first}")
    return values.ravel(order="F")


@contextmanager
def at(where: str) -> Iterator[None]:
    """Errors inside name ``where`` (the CMF file and line of the statement) first."""
    try:
        yield
    except CmfError as exc:
        if not where or str(exc).startswith(where):
            raise
        raise type(exc)(f"{where}: {exc}") from None

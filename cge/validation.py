"""Helpers for one-line input errors: the valid keys at a place in a pydantic schema, and
"did you mean" suggestions for labels and names (case-insensitive first, then by similarity)."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence

from pydantic import BaseModel


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``tuple[TariffShock, ...]``, ``A | None``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def valid_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at ``loc`` (the location of an unknown key, without the key).

    Parameters
    ----------
    model : pydantic model class
        The schema's root (e.g. :class:`cge.scenario.Scenario`).
    loc : sequence of str and int
        Field names and list positions from the root, as in a pydantic error's ``loc``; a
        discriminator tag of a union (``"uniform"``) picks the member with that tag.

    Returns
    -------
    list of str
        Field names in the schema's order (of every member when ``loc`` ends at an untagged
        union); empty when ``loc`` leads nowhere.
    """
    candidates = [model]
    for item in loc:
        if isinstance(item, int):
            continue
        tagged = [m for m in candidates if item not in m.model_fields and _has_tag(m, item)]
        if tagged:
            candidates = tagged
            continue
        nested = []
        for m in candidates:
            if item in m.model_fields:
                nested += _models_in(m.model_fields[item].annotation)
        if not nested:
            return []
        candidates = nested
    return list(dict.fromkeys(name for m in candidates for name in m.model_fields))


def _has_tag(model: type[BaseModel], tag: str) -> bool:
    """Whether ``model`` is the member of a discriminated union tagged ``tag`` (a Literal field)."""
    return any(tag in typing.get_args(f.annotation) for f in model.model_fields.values())


def suggestion(value: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'MEX'?)"`` for a close choice, else ``""``: the same letters in another case,
    else a choice that starts with ``value``, else the most similar (``difflib``, ratio >= 0.7)."""
    choices = [str(c) for c in choices]
    folded = str(value).casefold()
    lowered = {c.casefold(): c for c in choices}
    close = [c for c in choices if c.casefold() == folded]
    close = close or [c for c in choices if len(folded) >= 3 and c.casefold().startswith(folded)][:1]
    close = close or [lowered[m] for m in difflib.get_close_matches(folded, list(lowered), n=1, cutoff=0.7)]
    return f" (did you mean {close[0]!r}?)" if close else ""


def csv_separator_hint(path) -> str:
    """``"; it is separated by ';' ..."`` when a CSV file's first line uses ``;`` or tabs, not commas.

    Spreadsheets in many locales save CSV with ``;`` separators and decimal commas; read as
    comma-separated, such a file has one column. Empty when the file looks comma-separated or
    cannot be read.
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline()
    except OSError:
        return ""
    for separator, name in ((";", "';'"), ("\t", "tabs")):
        if separator in first and "," not in first:
            return (
                f"; it is separated by {name}, as spreadsheets in some locales save CSV: save it with ',' "
                "separators and '.' decimal points"
            )
    return ""

"""On-disk cache of compiled models: CasADi's own serialization of the compiled functions.

The key is a SHA-256 fingerprint of everything the compiled functions are made from: the
recorded conversion tape of the model (every operation, argument, constant and the order of
variables, parameters and equations — so the SAM, the calibration, the closure and the
elasticity forms are all in it), the source of the modules that turn a tape into functions,
the CasADi version and the cache format. A model that differs in any equation, constant or
ordering gets a different key, so a stale entry cannot be found; an entry whose content does
not match its recorded checksum and key, or that CasADi cannot read, is ignored (and replaced
by the fresh compilation).

Entries are single ``.npz`` files (no pickle) written to a temporary file and moved into place
with ``os.replace``, so concurrent processes never read half an entry and the last writer wins.

Measured (benchmarks/README.md): reading an entry takes as long as compiling with the chained
bridge (shipped 5 x 17: 0.07 s against 0.09 s; 10 x 35: 0.55 s against 0.53 s; CasADi's
serialized form of the 41 x 35 model is 410 MB and reads in about 5 s), while writing one costs
0.1 s, 0.7 s and about 7 s. The cache is therefore off unless asked for: ``CGE_CACHE=on`` uses
the user cache directory (``$XDG_CACHE_HOME/cge/compiled`` or ``~/.cache/cge/compiled`` on Linux,
``~/Library/Caches/cge/compiled`` on macOS, ``%LOCALAPPDATA%\\cge\\cache\\compiled`` on
Windows); ``CGE_CACHE_DIR=<directory>`` uses that directory (``off`` disables).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
"""Version of the entry layout; bump when it changes."""
SWITCH_VAR = "CGE_CACHE"
"""Environment variable that turns the cache on at the user cache directory."""
DIR_VAR = "CGE_CACHE_DIR"
"""Environment variable naming the cache directory (``off`` disables caching)."""
_SOURCES = ("convert.py", "chain.py", "casadi_bridge.py", "cache.py")
"""Modules (in ``cge/solve``) whose code decides what a tape compiles to."""


def user_cache_dir() -> Path:
    """The platform's per-user cache directory for cge."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "cge" / "cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "cge"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "cge"


def default_cache() -> CompiledCache | None:
    """The cache the environment asks for: ``$CGE_CACHE_DIR`` (``off``: none), else the user
    cache directory if ``CGE_CACHE`` is on (1, on, yes, true), else none."""
    directory = os.environ.get(DIR_VAR, "").strip()
    if directory:
        return None if directory.lower() == "off" else CompiledCache(directory)
    if os.environ.get(SWITCH_VAR, "").strip().lower() in ("1", "on", "yes", "true"):
        return CompiledCache(user_cache_dir() / "compiled")
    return None


def _source_digest() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def fingerprint(arrays: dict[str, np.ndarray]) -> str:
    """Cache key of a compiled model from the arrays that define it (tape, row ids, sizes)."""
    digest = hashlib.sha256()
    digest.update(f"cge-compiled/{CACHE_FORMAT}/casadi {ca.__version__}/{_source_digest()}".encode())  # type: ignore[attr-defined]
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CompiledFunctions:
    """The compiled functions of one model (what the cache stores).

    Attributes
    ----------
    residual, jacobian, checks : casadi.Function
        (x, p) -> residuals, Jacobian nonzeros, check residuals.
    intermediates : casadi.Function
        (x, p) -> value of every intermediate symbol, in creation order.
    jac_rows, jac_cols : ndarray
        Jacobian sparsity (order of the nonzeros).
    """

    residual: ca.Function
    jacobian: ca.Function
    checks: ca.Function
    intermediates: ca.Function
    jac_rows: np.ndarray
    jac_cols: np.ndarray

    def matches(self, n: int, n_p: int, m: int, n_checks: int, n_z: int) -> bool:
        """Whether the functions have the sizes of the model they are meant for."""
        fns = (self.residual, self.jacobian, self.checks, self.intermediates)
        inputs_ok = all(f.n_in() == 2 and f.size1_in(0) == n and f.size1_in(1) == n_p for f in fns)
        return (
            inputs_ok
            and self.residual.size1_out(0) == m
            and self.checks.size1_out(0) == n_checks
            and self.intermediates.size1_out(0) == n_z
            and self.jacobian.size1_out(0) == len(self.jac_rows) == len(self.jac_cols)
            and (len(self.jac_rows) == 0 or (self.jac_rows.max() < m and self.jac_cols.max() < n))
        )


class CompiledCache:
    """A directory of compiled-model entries, one ``<key>.npz`` file each.

    Parameters
    ----------
    directory : path
        Created on the first store.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def load(self, key: str) -> CompiledFunctions | None:
        """The entry for ``key``, or None if absent, unreadable or not matching its key."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(bytes(data["header"]).decode())
                payload = bytes(data["functions"])
                jac_rows, jac_cols = np.asarray(data["jac_rows"]), np.asarray(data["jac_cols"])
            if header.get("format") != CACHE_FORMAT or header.get("key") != key:
                raise ValueError(f"entry belongs to format {header.get('format')} / key {header.get('key')}")
            if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
                raise ValueError("checksum mismatch")
            stream = ca.StringDeserializer(payload.decode())
            residual, jacobian, checks, intermediates = (stream.unpack() for _ in range(4))
        except Exception as exc:  # any unreadable entry is a miss, never an error
            log.warning("ignoring unreadable compiled-model cache entry %s: %s", path, exc)
            return None
        return CompiledFunctions(residual, jacobian, checks, intermediates, jac_rows, jac_cols)

    def store(self, key: str, functions: CompiledFunctions) -> Path | None:
        """Write the entry for ``key`` atomically; returns its path (None if it could not be written)."""
        serializer = ca.StringSerializer()
        for fn in (functions.residual, functions.jacobian, functions.checks, functions.intermediates):
            serializer.pack(fn)
        payload = serializer.encode().encode()
        header = {
            "format": CACHE_FORMAT,
            "key": key,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "casadi": ca.__version__,  # type: ignore[attr-defined]
        }
        path = self.path(key)
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".tmp-", suffix=".npz", delete=False) as fh:
                tmp = Path(fh.name)
                np.savez_compressed(
                    fh,
                    header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                    functions=np.frombuffer(payload, dtype=np.uint8),
                    jac_rows=np.asarray(functions.jac_rows, dtype=np.int64),
                    jac_cols=np.asarray(functions.jac_cols, dtype=np.int64),
                )
            os.replace(tmp, path)
        except OSError as exc:  # a read-only or full disk must not stop a run
            log.warning("could not write compiled-model cache entry %s: %s", path, exc)
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            return None
        log.debug("stored compiled model %s (%.1f MB)", path, path.stat().st_size / 1e6)
        return path

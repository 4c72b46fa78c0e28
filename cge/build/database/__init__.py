"""The open 2024 database in GTAP v7 format, built from the newest national tables (``cge build-database``).

See ``docs/build_database.md``. :func:`build_database` is the entry point; :func:`run_database_build`
returns the Dataset with everything the build computed.
"""

from cge.build.database.pipeline import DATABASE_FILE, build_database, run_database_build

__all__ = ["build_database", "run_database_build", "DATABASE_FILE"]

"""Small example SAMs built in code (for tests, docs and first steps)."""

from cge.examples.two_by_two import two_region_sam

__all__ = ["two_region_sam"]

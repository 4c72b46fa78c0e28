"""cge: a GTAP-style multi-region CGE model of North American trade."""

__version__ = "0.1.0"

"""The pure policy engine: frozen policy values in, `Verdict` out. No I/O in this package."""

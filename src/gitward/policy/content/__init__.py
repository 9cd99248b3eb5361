"""Content rules: what the files a push brings may contain. PURE: no I/O in this package."""

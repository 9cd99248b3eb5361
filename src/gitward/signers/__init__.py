"""Signer edits (add, remove, revoke): validated, atomic, locked and audited; used by the CLI and
later the admin page."""

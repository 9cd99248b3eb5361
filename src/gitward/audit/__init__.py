"""The audit log: what each decision and each signer edit records (`record`), how a line is
written and chained to the one before it (`log`, `link`), read while others write (`lines`),
checked (`chain`), filtered and shown (`query`, `show`) and rotated (`rotate`)."""

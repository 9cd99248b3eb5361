"""The audit log: what each decision and each signer edit records, and how a line is written."""

"""The admin pages under `/admin` of the receiver: signers, audit log, decisions, policy.

Off unless `admin.yaml` exists beside the policy. Every change goes through `gitward.signers`
(the code `gitward signers` runs): validated, atomic, locked and audited with the admin's login.
"""

"""The policy and signer files read from a git repository, not from a directory anybody can edit.

A config directory (`$GITWARD_CONFIG`, `--config`) holding `policy-repo.yaml` instead of
`policy.yaml` says where the policy lives: a bare repository on this server and a ref in it,
which gitward's own hook guards like any other repository (`pointer`). `gitward.config.locate`
then reads the policy from the commit that ref names now, the latest *accepted* commit:

- the commit's tree is copied once into a cache directory named after the commit (`cache`),
  where the ordinary directory loader reads it; a push pays one look at the ref (`gitread`,
  a file read in the common case) and no `git` run while the policy does not change;
- a commit that does not descend from the policy commit last used is refused (`locate`: no
  going back to a weaker signer list); the last one used is kept in a state file (`state`);
- relative paths in the policy start at the config directory (the audit log is the server's,
  not the repository's), and the signers directory must lie inside the repository;
- pushes to the policy repository itself are judged by the policy's `policy_repository_rules`,
  and an update of its ref that would leave every repository without a usable policy is
  refused (`incoming`).

`setup` is `gitward install --config-repo`. Signer edits of such a policy are commits
(`gitward.signers.repo_edit`): the copies here are never edited.
"""

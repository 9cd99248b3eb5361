"""What a person reads about a verdict: the report lines and the sanitiser every string from a push
or a policy goes through. PURE; shared by the hook and `gitward check`."""

"""What a set of ref updates means, given the refs BEFORE the update: which commits each rule
checks, read and verified once. Shared by the hook, `gitward check` and the receiver."""

"""The git adapter: one repository seen through `git` plumbing (cat-file, rev-list), the objects it
holds, and the exact payloads their signatures cover."""

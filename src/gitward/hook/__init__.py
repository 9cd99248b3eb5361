"""Front end 1, the pre-receive hook: stdin, pusher identity, time budget, report, failure path.
Nothing outside `hook/` and `cli/` imports it."""

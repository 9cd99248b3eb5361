"""Front end 2, the webhook receiver: a Flask app (intake, reports, health, metrics), a durable
job queue, and workers that judge pushes and pull requests with the hook's engine and post the
verdict back to the forge. Imports nothing of `hook/` or `cli/`."""

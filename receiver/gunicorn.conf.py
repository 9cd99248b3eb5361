"""gunicorn settings for the webhook receiver's HTTP side (`gitward serve`).

The image copies this file to /srv/gitward/gunicorn.conf.py, its working directory, where
gunicorn looks for its configuration when none is named; `GUNICORN_CMD_ARGS` overrides any
setting (e.g. `--workers 4`) without a new image.

A request only checks a delivery (size, HMAC, forge, repository) and queues a job: the judging
happens in job workers. So requests are short and the limits below are tight on purpose:
Gitea gives a delivery 5 s ([webhook] DELIVER_TIMEOUT), GitHub 10 s.

Shutdown (SIGTERM; `docker compose stop` sends it and waits `stop_grace_period` before SIGKILL):
gunicorn stops accepting, lets each worker finish the requests in flight for up to
`graceful_timeout` seconds, then kills it. A delivery cut off there was never acknowledged, so
the forge records it as failed and it can be redelivered; a queued job is not lost with it.
"""

bind = "0.0.0.0:8000"
# Threads, not processes, carry the load: a request waits on disk (the queue), not on the CPU.
worker_class = "gthread"
workers = 2
threads = 4
# Kill a worker silent for this long: a request that takes 30 s is a bug, not a slow forge.
timeout = 30
# In-flight requests get this long after SIGTERM; docker-compose.yml's stop_grace_period for
# the receiver is longer, so gunicorn, not SIGKILL, ends them.
graceful_timeout = 20
keepalive = 5
# Heartbeat files in memory: the container's root file system is read-only.
worker_tmp_dir = "/dev/shm"  # noqa: S108  # the container's own tmpfs, not a shared /tmp
# Recycle workers now and then (jitter: not all at once) against slow leaks.
max_requests = 2000
max_requests_jitter = 200
# Webhook headers are few and short; anything bigger is not a forge.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
loglevel = "info"
proc_name = "gitward-receiver"

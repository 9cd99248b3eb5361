"""gunicorn settings for the webhook receiver's HTTP side, for gunicorn's own command line.

`gitward serve` starts gunicorn itself and applies the same values in code
(`gitward.receiver.service`: TIMEOUT, GRACEFUL_TIMEOUT; `--bind`, `--workers`); a test keeps
this file equal to them. Use this file to run the web tier under gunicorn's command line
instead, e.g. in the image: `gunicorn --config /srv/gitward/gunicorn.conf.py` (then start the
job workers apart with `gitward worker`, as with `gitward serve --no-worker`).

A request only checks a delivery (size, HMAC, forge, repository) and queues a job: the judging
happens in job workers. So requests are short and the limits below are tight on purpose:
Gitea gives a delivery 5 s ([webhook] DELIVER_TIMEOUT), GitHub 10 s.

Shutdown (SIGTERM; `docker compose stop` sends it and waits `stop_grace_period` before SIGKILL):
gunicorn stops accepting, lets each worker finish the requests in flight for up to
`graceful_timeout` seconds, then kills it. A delivery cut off there was never acknowledged, so
the forge records it as failed and it can be redelivered; a queued job is not lost with it.
"""

# The Flask app factory and the configuration directory the image mounts.
wsgi_app = "gitward.receiver.app:create_app('/etc/gitward')"
bind = "0.0.0.0:8088"
workers = 2
# Kill a worker silent for this long: intake answers in milliseconds; 30 s means it is stuck.
timeout = 30
# In-flight requests get this long after SIGTERM; docker-compose.yml's stop_grace_period for
# the receiver is longer, so gunicorn, not SIGKILL, ends them.
graceful_timeout = 30
# No runtime control socket (gunicornc): nothing here needs one, so it is not exposed.
control_socket_disable = True
# Heartbeat files in memory: the container's root file system is read-only.
worker_tmp_dir = "/dev/shm"  # noqa: S108  # the container's own tmpfs, not a shared /tmp
# Webhook headers are few and short; anything bigger is not a forge.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
errorlog = "-"
proc_name = "gitward-receiver"

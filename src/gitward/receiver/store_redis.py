"""The scaled job store: records in Redis, so receivers and workers on several hosts share them.

Each change is one Lua script (atomic on the server). Durability is Redis's: run it with
`appendonly yes` (docker-compose.yml does) so that an acknowledged delivery survives a restart.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from gitward.forges.delivery import Job
from gitward.receiver.jobs import JobRecord, decode_job, encode_job, new_id, owner_is_dead

if TYPE_CHECKING:
    import redis

PREFIX = "gitward:"
ACTIVE = PREFIX + "active"  # ids queued or running
DONE = PREFIX + "done"  # ids done, scored by when they finished

_SUBMIT = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 0} end
if ARGV[3] ~= '' then
  local old = redis.call('GET', KEYS[2])
  if old and redis.call('HGET', ARGV[6] .. old, 'state') == 'queued' then
    redis.call('HSET', ARGV[6] .. old, 'state', 'superseded', 'updated', ARGV[5])
    redis.call('SREM', KEYS[3], old)
  end
  redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', ARGV[6] .. ARGV[1], 'state', 'queued', 'job', ARGV[4], 'owner', '',
           'lease_until', '0', 'created', ARGV[5], 'updated', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[1])
return {ARGV[1], 1}
"""
_CLAIM = """
local s = redis.call('HGET', KEYS[1], 'state')
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0')
if s == 'queued' or (s == 'running' and lease < tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[1], 'lease_until', ARGV[2],
             'updated', ARGV[3])
  return 1
end
return 0
"""
_FINISH = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[2])
redis.call('SREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
return 1
"""
_REQUEUE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'owner', '', 'lease_until', '0', 'updated', ARGV[2])
return 1
"""


class RedisStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._submit = client.register_script(_SUBMIT)
        self._claim = client.register_script(_CLAIM)
        self._finish = client.register_script(_FINISH)
        self._requeue = client.register_script(_REQUEUE)

    @staticmethod
    def _job_key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def submit(self, job: Job, now: float) -> tuple[str, bool]:
        keys = [f"{PREFIX}key:{job.key}", f"{PREFIX}sup:{job.supersede_key or ''}", ACTIVE]
        argv: list[str | float] = [
            new_id(), job.key, job.supersede_key or "", encode_job(job), now, PREFIX + "job:",
        ]  # fmt: skip
        found: Any = self._submit(keys=keys, args=argv)
        return _text(found[0]), bool(int(found[1]))

    def claim(self, job_id: str, owner: str, lease: float, now: float) -> JobRecord | None:
        took = self._claim(keys=[self._job_key(job_id)], args=[owner, now + lease, now])
        return self.get(job_id) if int(took) == 1 else None

    def finish(self, job_id: str, owner: str, result: dict[str, object]) -> None:
        self._finish(
            keys=[self._job_key(job_id), ACTIVE, DONE],
            args=[owner, json.dumps(result), job_id, time.time()],
        )

    def release(self, job_id: str, owner: str) -> None:
        self._requeue(keys=[self._job_key(job_id)], args=[owner, 0])

    def reclaim(self, now: float, stale_after: float) -> list[str]:
        again: list[str] = []
        members: Any = self.client.smembers(ACTIVE)
        for raw in members:
            job_id = _text(raw)
            found: Any = self.client.hgetall(self._job_key(job_id))
            fields = {_text(k): _text(v) for k, v in found.items()}
            state, owner = fields.get("state"), fields.get("owner", "")
            if state == "running":
                lost = float(fields.get("lease_until", "0")) < now or owner_is_dead(owner)
                if lost and int(self._requeue(keys=[self._job_key(job_id)], args=[owner, now])):
                    again.append(job_id)
            elif state == "queued" and float(fields.get("updated", "0")) < now - stale_after:
                self.client.hset(self._job_key(job_id), "updated", now)
                again.append(job_id)
        return again

    def get(self, job_id: str) -> JobRecord | None:
        raw: Any = self.client.hgetall(self._job_key(job_id))
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        result = json.loads(fields["result"]) if fields.get("result") else None
        return JobRecord(
            job_id,
            decode_job(fields["job"]),
            fields["state"],  # type: ignore[arg-type]
            fields.get("owner", ""),
            float(fields.get("lease_until", "0")),
            float(fields.get("created", "0")),
            result,
        )

    def finished_since(self, since: float, limit: int) -> list[JobRecord]:
        ids: Any = self.client.zrevrangebyscore(DONE, "+inf", since, start=0, num=limit)
        found = [self.get(_text(i)) for i in ids]
        return [r for r in found if r is not None]

    def depth(self) -> int:
        count: Any = self.client.scard(ACTIVE)
        return int(count)

    def ping(self) -> None:
        self.client.ping()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

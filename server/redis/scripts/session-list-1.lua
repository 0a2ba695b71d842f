--[[
  Lists one user's live sessions from their index, pruning it as it reads: entries whose score
  (expiry) has passed, and entries whose record is gone. Never scans the keyspace: the work is
  bounded by the user's session count (at most SESSION_MAX_PER_USER).

  KEYS[1]  the user's session index (zset)  <prefix>sessions:{u:<id>}
  ARGV[1]  record key prefix <prefix>sess:{u:<id>}: ; record keys are ARGV[1] .. member, so they
           share KEYS[1]'s hash tag and slot.

  Time is the Redis server's (TIME), in ms since the epoch.

  Returns a list of {publicId, createdAt, lastSeenAt, idleExpiresAt, ip, userAgent}, soonest
  expiry first.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)

local sessions = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. member, 'publicId', 'createdAt', 'lastSeenAt',
    'idleExpiresAt', 'ip', 'userAgent')
  if f[1] then
    sessions[#sessions + 1] = f
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return sessions

--[[
  Resolves a session by its token hash and, when due, touches it (slides the idle expiry).
  The request path's only Redis call: one round trip that reads the record and the user's roles
  and writes at most once per interval.

  KEYS[1]  the session record (hash)        <prefix>sess:{u:<id>}:<hash>
  KEYS[2]  the user's session index (zset)  <prefix>sessions:{u:<id>}
  KEYS[3]  the user's roles (set)           <prefix>roles:{u:<id>}
  ARGV[1]  token hash (the index member)
  ARGV[2]  idle timeout, ms
  ARGV[3]  minimum interval between writes, ms (0: always write, as POST /auth/refresh does)

  Time is the Redis server's (TIME); times are ms since the epoch. A touch is due when
  now - lastSeenAt >= ARGV[3]; it sets lastSeenAt = now and the idle expiry to
  min(now + idle timeout, absoluteExpiresAt), so nothing ever extends a session past its
  absolute lifetime.

  A record that is gone (revoked, expired) is never written: HSET on a missing key would
  re-create a session that was just logged out, so the existence check and the write are in
  this one script.

  Returns nil when there is no live session, else
  {userId, email, publicId, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt, {roles...}}.
]]
local f = redis.call('HMGET', KEYS[1], 'userId', 'email', 'publicId', 'createdAt',
  'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt')
if not f[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lastSeen = tonumber(f[5])
local idle = tonumber(f[6])
local absolute = tonumber(f[7])

-- Past its expiry but not yet reaped by Redis' expiry cycle: it is over.
if now >= idle or now >= absolute then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end

if now - lastSeen >= tonumber(ARGV[3]) then
  lastSeen = now
  idle = math.min(now + tonumber(ARGV[2]), absolute)
  redis.call('HSET', KEYS[1], 'lastSeenAt', lastSeen, 'idleExpiresAt', idle)
  redis.call('PEXPIREAT', KEYS[1], idle)
  redis.call('ZADD', KEYS[2], idle, ARGV[1])
  if redis.call('PEXPIRETIME', KEYS[2]) < idle then
    redis.call('PEXPIREAT', KEYS[2], idle)
  end
end

return {f[1], f[2], f[3], f[4], lastSeen, idle, absolute, redis.call('SMEMBERS', KEYS[3])}

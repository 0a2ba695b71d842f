--[[
  Creates a session: its record, its place in the user's index, and the end of the user's
  sessions closest to expiry when over the cap. Times are Redis TIME, ms.
  KEYS[1]  the session record (hash)   <prefix>sess:{u:<id>}:<token sha256>
  KEYS[2]  the user's session index (sorted set, score = expiry)   <prefix>sessions:{u:<id>}
  KEYS[3]  present while the user's account was just deleted   <prefix>user-gone:{u:<id>}
  ARGV[1]  token hash      ARGV[2] user id     ARGV[3] email      ARGV[4] public session id
  ARGV[5]  client IP       ARGV[6] user agent  ARGV[7] idle timeout ms
  ARGV[8]  absolute lifetime ms                ARGV[9] most sessions one user may hold
  ARGV[10] the record key prefix (KEYS[1] without the hash): evicted records are named from it,
           in KEYS[1]'s hash tag and slot
  Returns {createdAt, idleExpiresAt, absoluteExpiresAt, evicted}; nil when the user is gone (KEYS[3]).
]]
if redis.call('EXISTS', KEYS[3]) == 1 then
  return false
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local absolute = now + tonumber(ARGV[8])
local idle = math.min(now + tonumber(ARGV[7]), absolute)

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('HSET', KEYS[1],
  'userId', ARGV[2], 'email', ARGV[3], 'publicId', ARGV[4],
  'createdAt', now, 'lastSeenAt', now, 'idleExpiresAt', idle, 'absoluteExpiresAt', absolute,
  'ip', ARGV[5], 'userAgent', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], idle)
redis.call('ZADD', KEYS[2], idle, ARGV[1])

-- Over the cap: end the sessions that expire soonest (the least recently used), never this one.
local evicted = 0
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[9])
if over > 0 then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, over)) do
    if evicted < over and member ~= ARGV[1] then
      redis.call('DEL', ARGV[10] .. member)
      redis.call('ZREM', KEYS[2], member)
      evicted = evicted + 1
    end
  end
end

-- The index lives as long as its longest-lived member.
if redis.call('PEXPIRETIME', KEYS[2]) < idle then
  redis.call('PEXPIREAT', KEYS[2], idle)
end
return {now, idle, absolute, evicted}

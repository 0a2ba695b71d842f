--[[
  Starts a new cache generation and tells every instance: after Redis was unreachable, writes may
  have committed in SQL whose invalidation never reached Redis, so no entry of the old generation
  may be served again.

  KEYS[1]  the generation counter (String)
  ARGV[1]  the Pub/Sub channel instances listen on
  ARGV[2]  the highest generation the caller has seen: the new one is above it even if Redis lost
           the counter meanwhile (a generation must never be reused)

  Returns the new generation (also the message published).
]]
local generation = redis.call('INCR', KEYS[1])
local seen = tonumber(ARGV[2])
if generation <= seen then
  generation = seen + 1
  redis.call('SET', KEYS[1], generation)
end
redis.call('PUBLISH', ARGV[1], generation)
return generation

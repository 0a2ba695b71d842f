--[[
  Records views: each post's pending counter (flushed to SQL later), its score in the hour's
  trending bucket and its author's score in the hour's author bucket, in one call.

  KEYS[1]  the pending counters (Hash: post id -> views, plus `_total`)
  KEYS[2]  this hour's trending bucket (Sorted set: post id scored by views)
  KEYS[3]  this hour's author bucket (Sorted set: author id scored by views of their posts)
  ARGV[1]  the buckets' TTL in milliseconds (renewed by each call)
  ARGV[2], ARGV[3], ARGV[4], ...  triples of post id, its author id and how many views it got

  Returns the number of views recorded.
]]
local total = 0
for i = 2, #ARGV, 3 do
  local count = tonumber(ARGV[i + 2])
  redis.call('HINCRBY', KEYS[1], ARGV[i], count)
  redis.call('ZINCRBY', KEYS[2], count, ARGV[i])
  redis.call('ZINCRBY', KEYS[3], count, ARGV[i + 1])
  total = total + count
end
redis.call('HINCRBY', KEYS[1], '_total', total)
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
return total

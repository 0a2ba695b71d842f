--[[
  Records views: each post's pending counter (flushed to SQL later) and its score in the hour's
  trending bucket, in one call.

  KEYS[1]  the pending counters (Hash: post id -> views, plus `_total`)
  KEYS[2]  this hour's trending bucket (Sorted set: post id scored by views)
  ARGV[1]  the bucket's TTL in milliseconds (renewed by each call)
  ARGV[2], ARGV[3], ...  pairs of post id and how many views it got

  Returns the number of views recorded.
]]
local total = 0
for i = 2, #ARGV, 2 do
  local count = tonumber(ARGV[i + 1])
  redis.call('HINCRBY', KEYS[1], ARGV[i], count)
  redis.call('ZINCRBY', KEYS[2], count, ARGV[i])
  total = total + count
end
redis.call('HINCRBY', KEYS[1], '_total', total)
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return total

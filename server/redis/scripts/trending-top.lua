--[[
  The most viewed posts over some hourly trending buckets: their scores summed, highest first.
  The caller passes the number of keys first.

  KEYS[1]     a scratch key in the buckets' slot (written and deleted within this call)
  KEYS[2..n]  the hourly buckets (Sorted sets: post id scored by views)
  ARGV[1]     how many post ids to return

  Returns up to ARGV[1] post ids, most viewed first.
]]
local buckets = {}
for i = 2, #KEYS do
  buckets[#buckets + 1] = KEYS[i]
end
redis.call('ZUNIONSTORE', KEYS[1], #buckets, unpack(buckets))
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('DEL', KEYS[1])
return top

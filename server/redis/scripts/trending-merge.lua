--[[
  A trending window: the sum of its hourly buckets, merged once and cached, then its top and one
  member's rank. The caller passes the number of keys first.

  KEYS[1]     the merged window (Sorted set), the cache: merged by ZUNIONSTORE only when absent
  KEYS[2..n]  the window's hourly buckets (Sorted sets), newest first; the last one is the hour
              the window starts in, which counts only in part
  ARGV[1]     the merged window's TTL in milliseconds (the cache's lifetime)
  ARGV[2]     the weight of the last bucket (0 < w <= 1: the share of its hour inside the window)
  ARGV[3]     how many members to return
  ARGV[4]     a member whose rank and score to return ('' for none)

  Returns { {member, score, member, score, ...} highest first, the member's rank (0-based,
  highest first) or nil, its score or nil }. Members with no views in the window are in no
  bucket, so they are not in the merge at all.
]]
local merged = KEYS[1]
if redis.call('EXISTS', merged) == 0 then
  local args = { merged, #KEYS - 1 }
  for i = 2, #KEYS do
    args[#args + 1] = KEYS[i]
  end
  args[#args + 1] = 'WEIGHTS'
  for i = 2, #KEYS - 1 do
    args[#args + 1] = 1
  end
  args[#args + 1] = ARGV[2]
  if redis.call('ZUNIONSTORE', unpack(args)) > 0 then
    redis.call('PEXPIRE', merged, ARGV[1])
  end
end

local top = redis.call('ZREVRANGE', merged, 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
local rank, score = false, false
if ARGV[4] ~= '' then
  rank = redis.call('ZREVRANK', merged, ARGV[4])
  score = redis.call('ZSCORE', merged, ARGV[4])
end
return { top, rank, score }

--[[
  Writes a post's cache entry unless an invalidation has recorded a newer version than the one
  the entry holds: a reader that loaded version 3 before an update committed version 4 must not
  put version 3 back after the update's invalidation (no stale re-fill).

  KEYS[1]  the entry (String)
  KEYS[2]  the post's fence (String: the highest version an invalidation recorded; absent = 0)
  ARGV[1]  the version the entry holds; for "no such post", the fence the reader saw before it
           looked in SQL (so a post created since then refuses it)
  ARGV[2]  the entry's value
  ARGV[3]  its TTL in milliseconds

  Returns 1 when written, 0 when refused (the fence is past ARGV[1]).
]]
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) < fence then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1

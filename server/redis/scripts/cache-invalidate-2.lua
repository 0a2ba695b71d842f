--[[
  Invalidates a post's cache entry after a write committed: raises the fence to the version the
  write produced, so no entry below it is served or written again, and drops the current entry.

  KEYS[1]  the entry under the caller's cache generation (String)
  KEYS[2]  the post's fence (String)
  ARGV[1]  the version the write committed (a deletion passes its last version + 1)
  ARGV[2]  the fence's TTL in milliseconds (longer than any entry lives)

  Returns the fence after the call. The fence never goes down: a late call for an older write
  leaves it (and only renews its TTL).
]]
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[1])
if version > fence then
  fence = version
end
redis.call('SET', KEYS[2], fence, 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return fence

--[[
  Post ids having all (SINTER) or any (SUNION) of some tags, read only while the index is known
  to be complete. The caller passes the number of keys first.

  KEYS[1]     the index's ready marker (String)
  KEYS[2..n]  one set per tag (Set of post ids)
  ARGV[1]     'all' or 'any'

  Returns the matching ids (unordered), or nil when the marker is missing (answer from SQL).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
local sets = {}
for i = 2, #KEYS do
  sets[#sets + 1] = KEYS[i]
end
if ARGV[1] == 'any' then
  return redis.call('SUNION', unpack(sets))
end
return redis.call('SINTER', unpack(sets))

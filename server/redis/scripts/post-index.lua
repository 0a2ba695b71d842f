--[[
  Keeps the tag, author and location indexes in step with one post's SQL row; called inside the
  SQL transaction, after the change (the row lock orders calls for one post). Numkeys first.
  KEYS[1]   the index's ready marker         KEYS[4]  every tag that has a set (Set)
  KEYS[2]   the post's tags (Set)            KEYS[5]  every author that has a sorted set (Set)
  KEYS[3]   the author's posts (Sorted set)  KEYS[6]  the posts' locations (Geo)
  KEYS[7..] the set of each tag in ARGV[7..], in the same order
  ARGV[1] post id, ARGV[2] author id, ARGV[3] 'put' or 'del', ARGV[4] longitude and ARGV[5]
  latitude now ('' for none and for 'del'), ARGV[6] k = how many tags the row had before,
  ARGV[7..6+k] those tags (read under the row lock), ARGV[7+k..] the tags it has now ('put').
  Returns 1 applied; 0 the index is not built (the rebuild from SQL includes this row); -1 the
  stored tags were not the old tags given: the index drifted, so the marker is deleted and
  queries use SQL until a rebuild.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local id, author, op, k = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[6])
local old, new = {}, {}
for j = 7, 6 + k do
  old[ARGV[j]] = KEYS[j]
end
for j = 7 + k, #ARGV do
  new[ARGV[j]] = KEYS[j]
end

local stored = redis.call('SMEMBERS', KEYS[2])
local drifted = #stored ~= k
for _, tag in ipairs(stored) do
  if old[tag] == nil then
    drifted = true
  end
end
if drifted then
  redis.call('DEL', KEYS[1])
  return -1
end

for tag, key in pairs(old) do
  if new[tag] == nil then
    redis.call('SREM', key, id)
    if redis.call('SCARD', key) == 0 then
      redis.call('SREM', KEYS[4], tag)
    end
  end
end
for tag, key in pairs(new) do
  if old[tag] == nil then
    redis.call('SADD', key, id)
    redis.call('SADD', KEYS[4], tag)
  end
end

redis.call('DEL', KEYS[2])
if op == 'put' then
  for tag in pairs(new) do
    redis.call('SADD', KEYS[2], tag)
  end
  redis.call('ZADD', KEYS[3], id, id)
  redis.call('SADD', KEYS[5], author)
  if ARGV[4] ~= '' then
    redis.call('GEOADD', KEYS[6], ARGV[4], ARGV[5], id)
  else
    redis.call('ZREM', KEYS[6], id)
  end
else
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[3], id)
  if redis.call('ZCARD', KEYS[3]) == 0 then
    redis.call('SREM', KEYS[5], author)
  end
end
return 1

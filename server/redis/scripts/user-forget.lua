--[[
  Forgets a deleted user in Redis, at once: ends every session (records and index), drops their
  roles and the other keys named, and marks them gone, so a login or an event about them already
  in flight writes nothing after it (session-create-3.lua, activity-push-2.lua). Walks only the
  user's index. Every key is under the user's hash tag {u:<id>}.
  KEYS[1]  the session index (zset)  <prefix>sessions:{u:<id>}
  KEYS[2]  roles (set), KEYS[3] their version (string)   <prefix>user-roles[-version]:{u:<id>}
  KEYS[4]  the gone marker (string)  <prefix>user-gone:{u:<id>}
  KEYS[5..] other keys holding the user's data, deleted (their activity list)
  ARGV[1]  record key prefix <prefix>sess:{u:<id>}: (a record's key is ARGV[1] .. member)
  ARGV[2]  the gone marker's TTL, ms
  Returns the number of sessions ended.
]]
local ended = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  ended = ended + redis.call('DEL', ARGV[1] .. member)
end
for i = 1, #KEYS do
  if i ~= 4 then
    redis.call('DEL', KEYS[i])
  end
end
redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
return ended

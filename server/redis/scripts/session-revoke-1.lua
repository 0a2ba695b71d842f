--[[
  Revokes sessions of one user by public id: either that one session (logout, DELETE
  /auth/sessions/:id) or every session but that one (logout-all, password change). Deletes
  the records and their index entries atomically, so a touch running after it finds nothing
  to extend. Walks only the user's index (at most SESSION_MAX_PER_USER entries), never the
  keyspace.

  KEYS[1]  the user's session index (zset)  <prefix>sessions:{u:<id>}
  ARGV[1]  record key prefix <prefix>sess:{u:<id>}: ; record keys are ARGV[1] .. member, so they
           share KEYS[1]'s hash tag and slot.
  ARGV[2]  public session id
  ARGV[3]  'one': revoke that session; 'others': revoke all the user's sessions except it

  Returns the number of sessions revoked.
]]
local only = ARGV[3] == 'one'
local revoked = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. member
  local id = redis.call('HGET', key, 'publicId')
  if not id then
    redis.call('ZREM', KEYS[1], member)
  elseif (id == ARGV[2]) == only then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], member)
    revoked = revoked + 1
    if only then break end
  end
end
return revoked

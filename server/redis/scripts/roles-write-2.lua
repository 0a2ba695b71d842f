--[[
  Writes one user's roles as read from SQL (users.roles_version), unless Redis already holds a
  newer version: a writer that read SQL before a grant or revoke (a login, a start-up) cannot
  undo it. The session lookup (preflight.lua) reads the set with the session.

  KEYS[1]  the user's roles (set)            <prefix>user-roles:{u:<id>}
  KEYS[2]  the version they were read at     <prefix>user-roles-version:{u:<id>}
  ARGV[1]  that version
  ARGV[2]  TTL of both, ms (SESSION_MAX_AGE: outlives every session that reads them)
  ARGV[3..] the roles (none: the set is removed, the version kept)

  Returns 1 written, 0 refused (a newer version is stored).
]]
local stored = tonumber(redis.call('GET', KEYS[2]) or '-1')
if stored > tonumber(ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
if #ARGV > 2 then
  redis.call('SADD', KEYS[1], unpack(ARGV, 3))
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1

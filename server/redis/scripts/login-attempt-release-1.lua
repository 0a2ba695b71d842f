--[[
  Gives back an attempt that login-attempt-1.lua reserved, when the login succeeded: only
  failures should use up the budget. Never creates the counter (a plain DECR on an expired key
  would leave -1 behind with no TTL) and never goes below 0; DECR keeps the TTL.

  KEYS[1]  the counter (string)  <prefix>login-attempts:ip:<addr>

  Returns the attempts still counted.
]]
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0

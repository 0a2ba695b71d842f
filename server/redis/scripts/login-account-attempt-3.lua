--[[
  Reserves one login attempt against one account from one client address, or refuses it, so
  failures slow the attacker, not the owner (login-throttle.ts). Counted before the password check
  and given back on success (login-account-release-3.lua): parallel guesses cannot overshoot.
  KEYS[1]  the account's failures from all addresses   <prefix>login-attempts:{le:<sha256(email)>}:all
  KEYS[2]  its failures from this address              <prefix>login-attempts:{le:<sha256(email)>}:from:<addr>
  KEYS[3]  present when this address logged in to it   <prefix>login-known:{le:<sha256(email)>}:<addr>
  ARGV[1]  window ms: a new counter's TTL (set here, so none is ever left without one)
  ARGV[2]  attempts per window from one address (LOGIN_MAX_FAILURES)
  ARGV[3]  attempts per window from all addresses (LOGIN_MAX_FAILURES_PER_EMAIL); not applied to
           a known address (KEYS[3]), so others' failures never lock the owner out there
  Returns {allowed 1|0, attempts from this address, from all, known 1|0, ms until the refusing
  counter's window ends (0 when allowed)}; the counts include this attempt when allowed.
]]
local function count(key)
  return tonumber(redis.call('GET', key) or '0')
end
local function reserve(key)
  local n = redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
  return n
end

local all, here, known = count(KEYS[1]), count(KEYS[2]), redis.call('EXISTS', KEYS[3])
if here >= tonumber(ARGV[2]) then
  return {0, here, all, known, redis.call('PTTL', KEYS[2])}
end
if known == 0 and all >= tonumber(ARGV[3]) then
  return {0, here, all, known, redis.call('PTTL', KEYS[1])}
end
here = reserve(KEYS[2])
return {1, here, reserve(KEYS[1]), known, 0}

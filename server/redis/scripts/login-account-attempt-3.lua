--[[
  Reserves one login attempt against one account from one client address, or refuses it
  (OWASP's advice: failures slow the attacker, not the owner). Under the account's hash tag:

  KEYS[1]  the account's failures from every address (string)  <prefix>login-attempts:{le:<sha256(email)>}:all
  KEYS[2]  its failures from this address (string)              <prefix>login-attempts:{le:<sha256(email)>}:from:<addr>
  KEYS[3]  present when this address logged in to the account   <prefix>login-known:{le:<sha256(email)>}:<addr>
  ARGV[1]  window, ms: a new counter's TTL (a fixed window from its first attempt, set in this
           script, so no counter is ever left without one)
  ARGV[2]  attempts allowed per window from one address (LOGIN_MAX_FAILURES): the tight limit
  ARGV[3]  attempts allowed per window from all addresses (LOGIN_MAX_FAILURES_PER_EMAIL): the
           ceiling against guessing spread over many addresses; an address that logged in to the
           account before (KEYS[3]) is not held to it, so the owner is not locked out by others

  Counted before the password check and given back on success (login-account-release-3.lua), so
  N parallel guesses cannot all pass a check made before any of them was counted.

  Returns {allowed 1|0, attempts from this address, attempts from all, known 1|0, ms until the
  refusing counter's window ends (0 when allowed)}; the counts include this attempt when allowed.
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

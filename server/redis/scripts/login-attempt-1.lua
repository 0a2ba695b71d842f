--[[
  Reserves one login attempt against one client address's counter (every account it tries), or
  refuses when the window's budget is used up. Counting before the password check (and giving the
  attempt back on success, login-attempt-release-1.lua) keeps the limit exact under concurrency:
  N parallel guesses cannot all pass a check made before any of them was counted. The account's
  own counters are login-account-attempt-3.lua's.

  KEYS[1]  the counter (string)  <prefix>login-attempts:ip:<addr>
  ARGV[1]  window, ms (the counter's TTL, set when it is created: a fixed window from the first
           attempt; INCR and PEXPIRE are in one script, so no counter is ever left without a TTL)
  ARGV[2]  attempts allowed per window

  Returns {allowed (1 or 0), attempts counted (including this one when allowed), ms until the
  window ends}.
]]
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[2]) then
  return {0, count, redis.call('PTTL', KEYS[1])}
end
count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {1, count, ttl}

--[[
  Gives back the attempt login-account-attempt-3.lua reserved: the password was right (only
  failures use up the budget), or the address's own counter refused the attempt. After a right
  password it also marks the address as one the account logs in from, so a ceiling reached by
  guesses from elsewhere does not lock the owner out there.

  KEYS     as login-account-attempt-3.lua: failures from all, from this address, the known marker
  ARGV[1]  the known marker's TTL, ms; 0: do not mark (the attempt was refused)

  Never creates a counter (a DECR of an expired one would leave -1 with no TTL) nor goes below 0;
  DECR keeps the TTL. Returns 1.
]]
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
end
return 1

--[[
  Releases a lock only if it is still held by the caller (compare-and-delete).
  A plain DEL could free a lock that expired and was taken by someone else.

  KEYS[1]  the lock key
  ARGV[1]  the caller's token (the value it SET NX PX)

  Returns 1 when the lock was released, 0 when it was not ours (or gone).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

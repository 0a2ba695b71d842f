--[[
  Removes a consumer from a stream's consumer group, but only while nothing is pending for it.
  XGROUP DELCONSUMER drops the consumer's pending entries with it, and they would never be
  delivered again; checking and deleting in one script means no entry can be delivered to the
  consumer between the check and the delete. Used for consumers that are gone (a stopped worker,
  one killed long ago), so the group's list of consumers does not grow with every restart.

  KEYS[1]  the stream
  ARGV[1]  the consumer group
  ARGV[2]  the consumer

  Returns 1 when the consumer was removed, 0 when it has pending entries (kept).
]]
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then
  return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1

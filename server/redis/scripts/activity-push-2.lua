--[[
  Adds one entry to a user's recent-activity list, once. The worker writes activity before it
  acknowledges the event (event-count.lua), so an event can be delivered again after its entry
  was written; the entry carries the event's stream id, so the second write finds an equal string
  among the entries kept and adds nothing.

  KEYS[1]  the user's activity list (keys.activity(userId)), newest first
  KEYS[2]  present for a while after the user's account was deleted (keys.userGone(userId)):
           events about them still in the stream (their posts' deletions) write nothing then
  ARGV[1]  the entry: JSON with the event's stream id
  ARGV[2]  how many entries the list keeps (LTRIM)
  ARGV[3]  TTL of the list, ms (renewed by each entry)

  Returns 1 when the entry was added, 0 when it was already there or the user is gone.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
local keep = tonumber(ARGV[2])
if redis.call('LPOS', KEYS[1], ARGV[1], 'MAXLEN', keep) then
  return 0
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, keep - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1

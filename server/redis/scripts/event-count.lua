--[[
  Counts a batch of stream entries, each in its hour, and acknowledges them: per entry, XACK and
  the count are one step, so an entry is counted exactly once (why: docs/redis.md, "The event stream").
  Called with numkeys first.
  KEYS[1]      the event stream (hash tag {events})
  KEYS[2..n]   the count hashes of the hours the batch falls in (same tag)
  ARGV[1]      the consumer group
  ARGV[2]      TTL of a count hash, ms (renewed when counted into)
  ARGV[3..]    per entry: stream id, field to count (the event type, or `invalid`), amount
               (1, or the views a `post.viewed` entry stands for), index in KEYS of its hour
  Returns per entry, in order: 1 acknowledged and counted by this call, 0 already acknowledged
  (nothing written for it).
]]
local stream, group = KEYS[1], ARGV[1]
local replies, touched = {}, {}
for i = 3, #ARGV, 4 do
  local acked = redis.call('XACK', stream, group, ARGV[i])
  if acked == 1 then
    local hash = KEYS[tonumber(ARGV[i + 3])]
    redis.call('HINCRBY', hash, ARGV[i + 1], ARGV[i + 2])
    touched[hash] = true
  end
  replies[#replies + 1] = acked
end
for hash in pairs(touched) do
  redis.call('PEXPIRE', hash, ARGV[2])
end
return replies

--[[
  Counts a batch of the stream's entries, each in its hour, and acknowledges them: for every
  entry, counting and acknowledging are one step. The analytics worker's exactly-once rule
  (server/features/analytics/event-processor.ts).

  XACK is the "already counted" marker. A consumer group acknowledges an entry once: XACK answers
  1 only to the call that takes the entry off the pending list, and 0 ever after. Counting in the
  same script as that XACK makes "counted" and "acknowledged" one fact, so:
  - a consumer that dies before this script ran left its entries pending, uncounted: whoever
    claims them (XAUTOCLAIM) counts them;
  - a consumer that dies after it ran left nothing pending: the entries are never delivered again;
  - a slow consumer whose entries were claimed by another while it worked: both run this script,
    the first counts, the second gets 0s and writes nothing.
  No separate marker to expire or to keep in step: the pending list is the marker.

  Called with numkeys first:
    EVALSHA sha n stream hours_1 .. hours_(n-1) group ttlMs id_1 field_1 amount_1 hoursIndex_1 id_2 ...

  KEYS[1]      the event stream (keys.events(), hash tag {events})
  KEYS[2..n]   the hashes of counts of the hours the batch falls in (keys.eventCounts(hour), same tag)
  ARGV[1]      the consumer group
  ARGV[2]      TTL of a counts hash, ms (renewed when the batch counts into it)
  then, per entry, four values:
    its stream id;
    the field to count: the event's type, or `invalid` for an entry that is not an event;
    how much it counts for: 1, or the views a `post.viewed` entry stands for;
    the index in KEYS of the hash of its hour (2..n).

  Returns one integer per entry, in order: 1 when this call acknowledged and counted it, 0 when
  it was already acknowledged (nothing written for it).
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

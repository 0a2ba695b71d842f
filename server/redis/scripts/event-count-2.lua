--[[
  Counts one event of the stream in its hour and acknowledges it, as one step: the analytics
  worker's exactly-once rule (server/features/analytics/event-processor.ts).

  XACK is the "already counted" marker. A consumer group acknowledges an entry once: XACK answers
  1 only to the call that takes the entry off the pending list, and 0 ever after. Counting in the
  same script as that XACK makes "counted" and "acknowledged" one fact, so:
  - a consumer that dies before this script ran left the entry pending, uncounted: whoever claims
    it (XAUTOCLAIM) counts it;
  - a consumer that dies after it ran left nothing pending: the entry is never delivered again;
  - a slow consumer whose entry was claimed by another while it worked: both run this script, the
    first counts, the second gets 0 and writes nothing.
  No separate marker to expire or to keep in step: the pending list is the marker.

  KEYS[1]  the event stream (keys.events(), hash tag {events})
  KEYS[2]  the hash of counts for the hour of the entry's id (keys.eventCounts(hour), same tag)
  ARGV[1]  the consumer group
  ARGV[2]  the entry's stream id
  ARGV[3]  the field to count: the event's type, or `invalid` for an entry that is not an event
  ARGV[4]  TTL of the counts hash, ms (renewed by each count)

  Returns 1 when this call acknowledged and counted the entry, 0 when it was already
  acknowledged (nothing written).
]]
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1

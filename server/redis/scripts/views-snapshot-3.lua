--[[
  Reads, at one instant, what Redis holds of one counter that the flusher has not yet made durable.

  KEYS[1]  the pending counters (Hash)
  KEYS[2]  the batch being flushed (Hash with `_seq`)
  KEYS[3]  the last batch number handed out (String)
  ARGV[1]  the field: a post id, or `_total` for all posts

  Returns {pending, in the batch being flushed, that batch's number (0: none), last batch number}.
]]
return {
  tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0'),
  tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'),
  tonumber(redis.call('HGET', KEYS[2], '_seq') or '0'),
  tonumber(redis.call('GET', KEYS[3]) or '0'),
}

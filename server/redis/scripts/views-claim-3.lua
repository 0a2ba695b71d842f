--[[
  Hands the pending view counters to the flusher as a numbered batch: RENAME is atomic, so every
  view lands either in this batch or in the next pending hash, never in both or neither.
  A batch left over by a flusher that died is handed out again first (SQL applies each number once).

  KEYS[1]  the pending counters (Hash)
  KEYS[2]  the batch being flushed (Hash: the renamed pending hash plus `_seq`)
  KEYS[3]  the last batch number handed out (String counter)
  ARGV[1]  the highest batch number SQL has applied (the counter is raised past it, e.g. after
           Redis lost its data, so a new batch never reuses an applied number)

  Returns {seq, 1} for a new batch, {seq, 0} for a leftover one, {0, 0} when nothing is pending.
]]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return { tonumber(redis.call('HGET', KEYS[2], '_seq') or '0'), 0 }
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 0, 0 }
end
local seq = redis.call('INCR', KEYS[3])
local applied = tonumber(ARGV[1])
if seq <= applied then
  seq = applied + 1
  redis.call('SET', KEYS[3], seq)
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], '_seq', seq)
return { seq, 1 }

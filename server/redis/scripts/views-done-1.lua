--[[
  Drops a flushed batch once SQL has it, only if it is still that batch (compare-and-delete).

  KEYS[1]  the batch being flushed (Hash with `_seq`)
  ARGV[1]  the batch number that SQL applied

  Returns 1 when deleted, 0 when the hash held another batch (or none).
]]
if redis.call('HGET', KEYS[1], '_seq') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0

--[[
  Removes a deleted post from every ranking: from each hourly trending bucket of the longest
  window, taking its views there off its author's score in the same hour's author bucket, then
  drops the cached merges (they are merged again from the buckets on the next read). Bounded:
  one ZSCORE/ZREM/ZINCRBY per hour of the longest window. The caller passes the number of keys first.

  KEYS[1..n]       the hourly trending buckets (Sorted sets: post id -> views)
  KEYS[n+1..2n]    the author buckets of the same hours, in the same order
  KEYS[2n+1..]     cached merges to delete
  ARGV[1]          n
  ARGV[2]          the post id
  ARGV[3]          its author id, or '' when unknown (the post is gone from SQL): author buckets
                   are then left as they are

  Returns the post's views removed from the buckets.
]]
local n, post, author = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local removed = 0
for i = 1, n do
  local views = redis.call('ZSCORE', KEYS[i], post)
  if views then
    redis.call('ZREM', KEYS[i], post)
    if author ~= '' then
      local left = tonumber(redis.call('ZINCRBY', KEYS[n + i], -tonumber(views), author))
      -- An author with nothing left in that hour is not ranked at 0: they leave the bucket.
      if left <= 0 then
        redis.call('ZREM', KEYS[n + i], author)
      end
    end
    removed = removed + tonumber(views)
  end
end
for i = 2 * n + 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return removed

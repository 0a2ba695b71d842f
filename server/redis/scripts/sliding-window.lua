--[[
  Sliding-window log rate limit over one or more windows, decided atomically in one round trip.
  Exact: in ANY interval of length `window` at most `limit` units are allowed (no 2x burst at a
  window edge, as a fixed INCR+EXPIRE window would let through).

  Called with numkeys first (one key per window): EVALSHA sha n key_1 .. key_n mode cost limit_1 window_1 .. limit_n window_n

  KEYS[i]        sorted set: the log of window i. Member = unique id of one unit, score = its time
                 in microseconds. The keys of one call share a hash tag, so this runs on Redis Cluster.
  ARGV[1]        mode: 'consume' records `cost` units when every window has room for them;
                 'peek' only reads (no write of any kind, not even trimming).
  ARGV[2]        cost: units this request needs (integer >= 1; a tRPC batch costs one per call).
  ARGV[1 + 2i]   limit of window i (integer >= 1)
  ARGV[2 + 2i]   length of window i in milliseconds (integer >= 1)

  Time: `now` is Redis' TIME (microseconds), never an app server's clock, so instances with skewed
  clocks share one timeline. Redis 7 replicates scripts by their effects (the ZADDs with concrete
  scores), which is what makes calling TIME in a writing script safe for replicas and the AOF.

  All or nothing: a unit is recorded in every window or in none, so a request refused by one window
  uses up nothing in the others. Memory: units are recorded only when they fit, so window i never
  holds more than limit_i entries (a refusal records nothing; it may only trim units that have left
  the window). Every write renews the key's expiry to its window, after which its newest entry no
  longer counts: an idle identity leaves no key behind.

  Cost per window, typically: ZRANGE (oldest) + ZCARD when refused, plus ZADD + PEXPIRE when
  allowed; TIME once per call.

  Reply: { allowed, remaining, waitMs, window }, all integers:
    allowed    1 when allowed (consume: the units were recorded), else 0
    remaining  units left after this decision, the smallest across windows
    waitMs     refused: ms until the refusing window has room for `cost` (-1: never, cost > limit);
               allowed: ms until the reported window frees its next unit (0 when it holds none)
    window     0-based index of the reported window: the one that refused (the longest wait when
               several do), else the one with the fewest units left (ties: the longer window)
]]
local mode = ARGV[1]
if mode ~= 'consume' and mode ~= 'peek' then
  return redis.error_reply('ERR sliding-window: mode must be consume or peek')
end
local consume = mode == 'consume'
local cost = tonumber(ARGV[2])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

-- Read every window and decide. Per window: units in it, and the score of its oldest (false: none).
local counts, oldest = {}, {}
local refused, wait = 0, -1 -- the refusing window with the longest wait, and that wait in ms
for i = 1, #KEYS do
  local key, limit, span = KEYS[i], tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i]) * 1000
  local cutoff = now - span -- a unit counts while its score > cutoff
  local count, skipped = 0, 0
  local first = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
  if first and first > cutoff then
    -- The oldest unit is in the window, so all are: ZCARD is O(1), where ZCOUNT would walk a
    -- small (listpack-encoded) sorted set end to end.
    count = redis.call('ZCARD', key)
  elseif first then
    -- Units have left the window: consume trims them, peek (which writes nothing) skips them.
    -- Scores pass 2^47 and Lua's default number format (%.14g) would round them: format by hand.
    if consume then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', cutoff))
      count = redis.call('ZCARD', key)
    else
      count = redis.call('ZCOUNT', key, string.format('(%d', cutoff), '+inf')
      skipped = redis.call('ZCARD', key) - count
    end
    first = tonumber(redis.call('ZRANGE', key, skipped, skipped, 'WITHSCORES')[2])
  end
  counts[i], oldest[i] = count, first or false

  local excess = count + cost - limit
  if excess > 0 then
    -- Room for `cost` units comes when `excess` units have left: when the excess-th oldest does.
    local w = -1
    if cost <= limit then
      local score = first
      if excess > 1 then
        score = tonumber(redis.call('ZRANGE', key, skipped + excess - 1, skipped + excess - 1, 'WITHSCORES')[2])
      end
      w = math.ceil((score + span - now) / 1000)
    end
    if refused == 0 or w == -1 or (wait ~= -1 and w > wait) then
      refused, wait = i, w
    end
  end
end

-- The window to report: the fewest units left; on a tie the longer window, which frees later.
local used = (refused == 0 and consume) and cost or 0
local reported, remaining = 1, tonumber(ARGV[3]) - counts[1] - used
for i = 2, #KEYS do
  local left = tonumber(ARGV[1 + 2 * i]) - counts[i] - used
  if left < remaining or (left == remaining and tonumber(ARGV[2 + 2 * i]) > tonumber(ARGV[2 + 2 * reported])) then
    reported, remaining = i, left
  end
end

if refused > 0 then
  return { 0, math.max(remaining, 0), wait, refused - 1 }
end

if consume then
  local score = string.format('%d', now)
  for i = 1, #KEYS do
    -- Members must be unique, or a second unit in the same microsecond would overwrite the
    -- first: on a clash ZADD NX adds nothing, and the next try carries a '-1', '-2', ... suffix.
    local n = 0
    for _ = 1, cost do
      repeat
        local member = n == 0 and score or score .. '-' .. n
        n = n + 1
      until redis.call('ZADD', KEYS[i], 'NX', score, member) == 1
    end
    -- +1 ms: PEXPIRE counts from the command's own clock, which may lag `now` by under a millisecond.
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]) + 1)
  end
end

-- The reported window frees its next unit when its oldest leaves: this request's own unit when
-- the window was empty; nothing to free when peeking at an empty window.
local reset = 0
if oldest[reported] then
  reset = math.ceil((oldest[reported] + tonumber(ARGV[2 + 2 * reported]) * 1000 - now) / 1000)
elseif used > 0 then
  reset = tonumber(ARGV[2 + 2 * reported])
end
return { 1, remaining, reset, reported - 1 }

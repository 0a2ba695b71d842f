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
  uses up nothing in the others. Memory: a refused request writes nothing, so window i never holds
  more than limit_i entries. Every write renews the key's expiry to its window, after which its
  newest entry no longer counts: an idle identity leaves no key behind.

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
local cost = tonumber(ARGV[2])
local windows = #KEYS

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

-- Microsecond timestamps pass 2^47; Lua's default number-to-string (%.14g) would round them.
local function int(n)
  return string.format('%d', n)
end

local limits, spans, cutoffs, counts = {}, {}, {}, {}
for i = 1, windows do
  limits[i] = tonumber(ARGV[1 + 2 * i])
  spans[i] = tonumber(ARGV[2 + 2 * i]) * 1000
  -- An entry counts while now - score < span, i.e. score > cutoff.
  cutoffs[i] = now - spans[i]
  if mode == 'consume' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', int(cutoffs[i]))
  end
  counts[i] = redis.call('ZCOUNT', KEYS[i], '(' .. int(cutoffs[i]), '+inf')
end

-- Microseconds until the (rank+1)-th oldest entry still in window i leaves it.
local function leaves_in(i, rank)
  local entry = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. int(cutoffs[i]), '+inf', 'WITHSCORES', 'LIMIT', rank, 1)
  if entry[2] == nil then return 0 end
  return tonumber(entry[2]) + spans[i] - now
end

local function ms(us)
  return math.ceil(us / 1000)
end

-- Refused when some window cannot take `cost` more units; report the longest wait.
local refused, longest = 0, -1
for i = 1, windows do
  local excess = counts[i] + cost - limits[i]
  if excess > 0 then
    local wait = -1
    if cost <= limits[i] then wait = leaves_in(i, excess - 1) end
    if refused == 0 or wait == -1 or (longest ~= -1 and wait > longest) then
      refused, longest = i, wait
    end
  end
end

if refused > 0 then
  local remaining = limits[1] - counts[1]
  for i = 2, windows do
    remaining = math.min(remaining, limits[i] - counts[i])
  end
  local wait = longest
  if wait ~= -1 then wait = ms(wait) end
  return { 0, math.max(remaining, 0), wait, refused - 1 }
end

local used = 0
if mode == 'consume' then
  used = cost
  local score = int(now)
  for i = 1, windows do
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
    redis.call('PEXPIRE', KEYS[i], int(spans[i] / 1000 + 1))
  end
end

local reported, remaining = 1, limits[1] - counts[1] - used
for i = 2, windows do
  local left = limits[i] - counts[i] - used
  if left < remaining or (left == remaining and spans[i] > spans[reported]) then
    reported, remaining = i, left
  end
end
return { 1, remaining, ms(leaves_in(reported, 0)), reported - 1 }

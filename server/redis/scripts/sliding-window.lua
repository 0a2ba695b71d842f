--[[
  Sliding-window log rate limit over one or more windows, decided atomically in one round trip.
  Exact: in ANY interval of length `window` at most `limit` units are allowed (no 2x burst at a
  window edge, as a fixed INCR+EXPIRE window would let through).

  Called with numkeys first (one key per window): EVALSHA sha n key_1 .. key_n mode cost limit_1 window_1 .. limit_n window_n

  KEYS[i]        the log of window i: the times of its units in microseconds. While it holds up
                 to 256 units, a string of big-endian 8-byte integers, oldest first; past that, a
                 sorted set (member per unit, score = its time), which turns back into a string
                 once it holds 128 or fewer. Either kind is read as it is (so is a sorted set
                 left by an older version). The keys of one call share a hash tag, so this runs
                 on Redis Cluster.
  ARGV[1]        mode: 'consume' records `cost` units when every window has room for them;
                 'peek' only reads (no write of any kind).
  ARGV[2]        cost: units this request needs (integer >= 1; a tRPC batch costs one per call).
  ARGV[1 + 2i]   limit of window i (integer >= 1)
  ARGV[2 + 2i]   length of window i in milliseconds (integer >= 1)

  Commands: TIME, then per window GET; for a string, when allowed, APPEND + PEXPIRE while the
  log, units that have left included, still fits (nothing is copied), else one SET .. PX that
  rewrites it without those. A refusal and a peek are TIME + GET. GET copies the whole string into
  Lua, so its cost grows with the units in the window: cheaper than a sorted set up to a few
  hundred units, several times dearer at thousands. Hence the sorted set for a busy log: GET fails
  (WRONGTYPE), then ZRANGE reads the oldest unit, ZCARD counts (ZCOUNT once units have left) and
  an allowed call trims (ZREMRANGEBYSCORE), adds (ZADD) and renews the expiry (PEXPIRE).

  Time: Redis' TIME, never an app server's clock, so instances with skewed clocks share one
  timeline. A new unit never takes a time behind the newest recorded: should Redis' clock step
  back, it takes the newest time, so the log stays in order (and units count a little longer, on
  the strict side). Redis 7 replicates scripts by their effects, so calling TIME in a writing
  script is safe for replicas and the AOF.

  All or nothing: a unit is recorded in every window or in none, so a request refused by one window
  uses up nothing in the others; a refusal and a peek write nothing at all. Memory: units are
  recorded only when they fit; APPEND only while the whole log, units that have left included,
  stays within `limit` units, else the rewrite drops those, and a sorted set drops them before
  adding: so a log holds at most `limit` units (after a limit is lowered, from its next write
  on). Every write sets the key's expiry to its window (+1 ms: PX counts from the command's own clock, which may lag TIME by under
  a millisecond), after which its newest unit no longer counts: an idle identity leaves no key.

  Reply: { allowed, remaining, waitMs, window }, all integers:
    allowed    1 when allowed (consume: the units were recorded), else 0
    remaining  units left after this decision, the smallest across windows
    waitMs     refused: ms until the refusing window has room for `cost` (-1: never, cost > limit);
               allowed: ms until the reported window frees its next unit (0 when it holds none)
    window     0-based index of the reported window: the one that refused (the longest wait when
               several do), else the one with the fewest units left (ties: the longer window)
]]
local mode = ARGV[1]
local consume = mode == 'consume'
if not consume and mode ~= 'peek' then
  return redis.error_reply('ERR sliding-window: mode must be consume or peek')
end
-- Numbers arrive as strings: arithmetic converts them, cheaper than tonumber.
local cost = ARGV[2] + 0
local unpackTable = unpack -- before `unpack` names struct.unpack below
local pack, unpack, format = struct.pack, struct.unpack, string.format
local TIME_FORMAT = '>i8' -- one time in a string log: big-endian, 8 bytes
local STRING_UP_TO = 256 -- units a string log holds at most; more go in a sorted set

-- A unit's time in a sorted set: the score of the member at `rank` (0 = oldest), or nil.
local function scoreAt(key, rank)
  return tonumber(redis.call('ZRANGE', key, rank, rank, 'WITHSCORES')[2])
end

-- Records `cost` units at `now` in a window's log, given what was read of it (`count` units
-- inside); the window has room for them. The kind follows the units the log will hold: a string
-- up to STRING_UP_TO, a sorted set above; a sorted set becomes a string again only at half that,
-- so a log near the bound does not change kind back and forth.
local function record(key, limit, windowMs, log, first, stale, count, now)
  local ttl, units = windowMs + 1, count + cost
  if log and #log / 8 + cost <= math.min(limit, STRING_UP_TO) then
    -- The string still fits, units that have left included: add to it in place.
    redis.call('APPEND', key, cost == 1 and pack(TIME_FORMAT, now) or string.rep(pack(TIME_FORMAT, now), cost))
    redis.call('PEXPIRE', key, ttl)
  elseif units <= (log and STRING_UP_TO or STRING_UP_TO / 2) then
    -- A string again, without the units that have left, whose place the new ones take.
    local kept
    if log then
      kept = string.sub(log, first * 8 + 1)
    else -- from a sorted set: its units inside the window, in order, and never behind the newest
      local entries, times = redis.call('ZRANGE', key, stale, -1, 'WITHSCORES'), {}
      for j = 2, #entries, 2 do times[#times + 1] = pack(TIME_FORMAT, entries[j] + 0) end
      if #entries > 0 and entries[#entries] + 0 > now then now = entries[#entries] + 0 end
      kept = table.concat(times)
    end
    redis.call('SET', key, kept .. string.rep(pack(TIME_FORMAT, now), cost), 'PX', ttl)
  else
    if log then
      -- A string that outgrows the bound: its units inside move to a sorted set.
      redis.call('DEL', key)
      for u = first, #log / 8 - 1 do
        local t = format('%d', unpack(TIME_FORMAT, log, u * 8 + 1))
        redis.call('ZADD', key, t, t .. '-' .. u)
      end
    elseif stale > 0 then
      -- Scores pass 2^47, which Lua's default number format (%.14g) would round: format by hand.
      redis.call('ZREMRANGEBYSCORE', key, '-inf', format('%d', now - windowMs * 1000))
    end
    -- Members must be unique, or a second unit in the same microsecond would overwrite the first:
    -- on a clash ZADD NX adds nothing, and the next try carries a '-1', '-2', ... suffix.
    local score, tries = format('%d', now), 0
    for _ = 1, cost do
      repeat
        local member = tries == 0 and score or score .. '-' .. tries
        tries = tries + 1
      until redis.call('ZADD', key, 'NX', score, member) == 1
    end
    redis.call('PEXPIRE', key, ttl)
  end
end

local time = redis.call('TIME')
local clock = time[1] * 1000000 + time[2]

local refused, wait = 0, -1 -- the refusing window with the longest wait, and that wait in ms
local reported, fewest, reset = 0, 0, 0 -- the window with the fewest units left, and when it frees one
local pending -- several windows: what was read of those with room, recorded once all are known to have room
for i = 1, #KEYS do
  local key, limit, windowMs = KEYS[i], ARGV[1 + 2 * i] + 0, ARGV[2 + 2 * i] + 0
  local span = windowMs * 1000
  local cutoff = clock - span -- a unit counts while its time > cutoff

  -- Read the log: `log` when the key holds a string (or nothing), else it is a sorted set (GET
  -- fails with WRONGTYPE, and the sorted set is read instead; any other error is returned). Either
  -- way: `count` units inside the window, `oldest` the time of the oldest of them, and the units
  -- before them, which have left: `first` (string), `stale` (sorted set).
  local log = redis.pcall('GET', key)
  if not log then
    log = ''
  elseif type(log) == 'table' then
    if not string.find(log.err, '^WRONGTYPE') then return log end -- an error of another kind
    log = nil
  end
  local count, oldest, first, stale = 0, 0, 0, 0
  if log then
    local n = #log / 8
    if n > 0 then
      oldest = unpack(TIME_FORMAT, log, 1)
      if oldest <= cutoff then
        -- Binary search for the first unit inside (or n when none is); it probes unit 1 first,
        -- the answer under steady traffic (the oldest unit left, the next did not).
        local lo, hi, probe = 1, n, 1
        while lo < hi do
          local t = unpack(TIME_FORMAT, log, probe * 8 + 1)
          if t > cutoff then hi, oldest = probe, t else lo = probe + 1 end
          probe = math.floor((lo + hi) / 2)
        end
        first = hi
      end
    end
    count = n - first
  else
    oldest = scoreAt(key, 0) or 0
    if oldest > cutoff then
      -- The oldest unit is inside, so all are: ZCARD is O(1), where ZCOUNT would walk a small
      -- (listpack-encoded) sorted set end to end.
      count = redis.call('ZCARD', key)
    elseif oldest > 0 then
      count = redis.call('ZCOUNT', key, format('(%d', cutoff), '+inf')
      stale = redis.call('ZCARD', key) - count
      oldest = count > 0 and scoreAt(key, stale) or 0
    end
  end
  -- The window to report: the fewest units left; on a tie the longer window, which frees later.
  local left = limit - count
  if reported == 0 or left < fewest or (left == fewest and span > ARGV[2 + 2 * reported] * 1000) then
    reported, fewest = i, left
    -- It frees its next unit when its oldest leaves: this request's own unit when it is empty.
    if count > 0 then
      reset = math.ceil((oldest - cutoff) / 1000)
    else
      reset = consume and windowMs or 0
    end
  end

  if cost > left then
    -- Room for `cost` units comes when `excess` units have left: when the excess-th oldest does.
    local w = -1
    if cost <= limit then
      local k = cost - left - 1 -- the excess-th oldest inside, 0-based
      local t = oldest
      if k > 0 then t = log and unpack(TIME_FORMAT, log, (first + k) * 8 + 1) or scoreAt(key, stale + k) end
      w = math.ceil((t - cutoff) / 1000)
    end
    if refused == 0 or w == -1 or (wait ~= -1 and w > wait) then
      refused, wait = i, w
    end
  elseif consume and refused == 0 then
    -- The new units' time: in a string log never behind the newest recorded, so the log stays
    -- in order should Redis' clock step back (a sorted set keeps its own order).
    local now = clock
    if log and #log > 0 then
      local newest = unpack(TIME_FORMAT, log, #log - 7)
      if newest > now then now = newest end
    end
    if i == #KEYS then
      -- The last window has room, so every window does: record them all.
      record(key, limit, windowMs, log, first, stale, count, now)
      for j = 1, i - 1 do record(unpackTable(pending[j], 1, 8)) end
    else
      pending = pending or {}
      pending[i] = { key, limit, windowMs, log, first, stale, count, now }
    end
  end
end

if refused > 0 then
  return { 0, fewest > 0 and fewest or 0, wait, refused - 1 }
end
return { 1, consume and fewest - cost or fewest, reset, reported - 1 }

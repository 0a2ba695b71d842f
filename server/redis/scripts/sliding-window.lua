--[[
  Sliding-window log rate limit over one or more windows, decided atomically in one round trip.
  Exact: in ANY interval of length `window` at most `limit` units are allowed (no 2x burst at a
  window edge, as a fixed INCR+EXPIRE window would let through).

  Called with numkeys first (one key per window): EVALSHA sha n key_1 .. key_n mode cost limit_1 window_1 .. limit_n window_n

  KEYS[i]        string: the log of window i, the times of its units oldest first, each a big-endian
                 8-byte integer of microseconds. The keys of one call share a hash tag, so this runs
                 on Redis Cluster. A sorted set left by an older version (member per unit, score =
                 its time in microseconds) is read as the same log and replaced at its next write.
  ARGV[1]        mode: 'consume' records `cost` units when every window has room for them;
                 'peek' only reads (no write of any kind).
  ARGV[2]        cost: units this request needs (integer >= 1; a tRPC batch costs one per call).
  ARGV[1 + 2i]   limit of window i (integer >= 1)
  ARGV[2 + 2i]   length of window i in milliseconds (integer >= 1)

  Commands: TIME, then one GET per window; when allowed, per window either APPEND + PEXPIRE (the
  log still fits in `limit` units: nothing is copied) or one SET ... PX that rewrites it without
  the units that have left the window. A refusal and a peek are TIME + GET. A sorted set would take
  a command to find the oldest unit, one to count, one to add and one to expire; the string is one
  read, and a decision's cost hardly grows with the limit until the log is several KB (8 bytes a
  unit: 800 bytes at 100, 8 KB at 1,000), since GET copies it whole into Lua.

  Time: Redis' TIME, never an app server's clock, so instances with skewed clocks share one
  timeline. A new unit never takes a time behind the newest recorded: should Redis' clock step
  back, it takes the newest time, so the log stays in order (and units count a little longer, on
  the strict side). Redis 7 replicates scripts by their effects, so calling TIME in a writing
  script is safe for replicas and the AOF.

  All or nothing: a unit is recorded in every window or in none, so a request refused by one window
  uses up nothing in the others; a refusal and a peek write nothing at all. Memory: units are
  recorded only when they fit; APPEND only while the whole log, units that have left included,
  stays within `limit` units, else the rewrite drops those: so a log holds at most `limit` units
  (after a limit is lowered, from its next write on). Every write sets the key's
  expiry to its window (+1 ms: PX counts from the command's own clock, which may lag TIME by under
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
local pack, unpack = struct.pack, struct.unpack
local TIME_FORMAT = '>i8' -- one time: big-endian, 8 bytes

-- Records units in a log, and sets its expiry to `ttl` ms: APPEND while the log still fits in
-- `limit` units, else a rewrite without the units that have left (SET with PX, one command).
local function write(key, rewrite, units, ttl)
  if rewrite then
    redis.call('SET', key, units, 'PX', ttl)
  else
    redis.call('APPEND', key, units)
    redis.call('PEXPIRE', key, ttl)
  end
end

local time = redis.call('TIME')
local clock = time[1] * 1000000 + time[2]

local refused, wait = 0, -1 -- the refusing window with the longest wait, and that wait in ms
local reported, fewest, reset = 0, 0, 0 -- the window with the fewest units left, and when it frees one
local pending -- several windows: the writes of those with room, made once all are known to have room
for i = 1, #KEYS do
  local key, limit, windowMs = KEYS[i], ARGV[1 + 2 * i] + 0, ARGV[2 + 2 * i] + 0
  local span = windowMs * 1000
  local log, sortedSet = redis.pcall('GET', key), false
  if not log then
    log = ''
  elseif type(log) == 'table' then
    -- Not a string: a sorted set left by an older version is read as the same log (and replaced
    -- by a string at its next write); any other error is the caller's.
    if not string.find(log.err, '^WRONGTYPE') then return log end
    local entries, times = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'), {}
    for j = 2, #entries, 2 do times[#times + 1] = pack(TIME_FORMAT, entries[j] + 0) end
    log, sortedSet = table.concat(times), true
  end
  local n = #log / 8 -- units recorded
  local cutoff = clock - span -- a unit counts while its time > cutoff
  local first, oldest = 0, 0 -- units that have left the window; time of the oldest inside
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
  end -- when n > first, `oldest` is the time of the oldest unit inside

  -- The window to report: the fewest units left; on a tie the longer window, which frees later.
  local left = limit - (n - first)
  if reported == 0 or left < fewest or (left == fewest and span > ARGV[2 + 2 * reported] * 1000) then
    reported, fewest = i, left
    -- It frees its next unit when its oldest leaves: this request's own unit when it is empty.
    if n > first then
      reset = math.ceil((oldest - cutoff) / 1000)
    else
      reset = consume and span / 1000 or 0
    end
  end

  if cost > left then
    -- Room for `cost` units comes when `excess` units have left: when the excess-th oldest does.
    local w = -1
    if cost <= limit then
      local excess = cost - left
      local t = excess == 1 and oldest or unpack(TIME_FORMAT, log, (first + excess - 1) * 8 + 1)
      w = math.ceil((t - cutoff) / 1000)
    end
    if refused == 0 or w == -1 or (wait ~= -1 and w > wait) then
      refused, wait = i, w
    end
  elseif consume and refused == 0 then
    -- The new units' time: never behind the newest recorded, so the log stays in order should
    -- Redis' clock step back.
    local now = clock
    if n > 0 then
      local newest = unpack(TIME_FORMAT, log, n * 8 - 7)
      if newest > now then now = newest end
    end
    local units = pack(TIME_FORMAT, now)
    if cost > 1 then units = string.rep(units, cost) end
    local rewrite = sortedSet or n + cost > limit
    if rewrite then units = string.sub(log, first * 8 + 1) .. units end
    if i == #KEYS then
      -- The last window has room, so every window does: write them all.
      write(key, rewrite, units, windowMs + 1)
      for j = 1, i - 1 do
        local p = pending[j]
        write(p[1], p[2], p[3], p[4])
      end
    else
      pending = pending or {}
      pending[i] = { key, rewrite, units, windowMs + 1 }
    end
  end
end

if refused > 0 then
  return { 0, fewest > 0 and fewest or 0, wait, refused - 1 }
end
return { 1, consume and fewest - cost or fewest, reset, reported - 1 }

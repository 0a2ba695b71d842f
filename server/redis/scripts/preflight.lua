--[[
  The Redis work of one or more requests, in one call (server/redis/preflight.ts): per entry,
  resolve a session (and touch it when due), decide a rate limit for the caller it found, read
  cache keys. Called with numkeys first; every key is in KEYS, entries name theirs by index.

  ARGV[1]  number of entries; then per entry:
    s       session record key index (0: no session part); when > 0, then:
              the index key (s+1), the roles key (s+2); token hash, idle timeout ms,
              touch interval ms (0: always touch)
    n       windows of the limit part (0: none); when > 0, then: cost, 1 to only peek (record
              and write nothing), the key index of the first window for a found session (0:
              none), the same for everyone else, then limit and window ms per window (a
              caller's window keys are consecutive)
    r       reads, then r key indexes (GET each)

  Reply per entry: { session, decision, reads }
    session   false, or {userId, email, publicId, createdAt, lastSeenAt, idleExpiresAt,
              absoluteExpiresAt, {roles}} (times in ms)
    decision  false, or {allowed 1/0, remaining, waitMs, window (0-based), charged: 1 the
              session's keys, 0 the others}
    reads     the values read (false: missing)
]]
local HEADER, RUN = 12, 12 -- bytes: header {head, runs, units}; run {time ms, units}
local MAX_RUNS = 4096 -- runs a log keeps while the window holds more units (coarser runs beyond)
local unpack = struct.unpack
local pack = struct.pack

local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)

-- Sessions resolved in this call, by record key: entries of one caller share one read and touch.
local sessions = {}
local function resolveSession(record, index, roles, hash, idleMs, intervalMs)
  local known = sessions[record]
  if known ~= nil and intervalMs > 0 then return known end
  local f = redis.call('HMGET', record, 'userId', 'email', 'publicId', 'createdAt', 'lastSeenAt', 'idleExpiresAt', 'absoluteExpiresAt')
  local found = false
  if not f[1] then
    redis.call('ZREM', index, hash)
  elseif now >= tonumber(f[6]) or now >= tonumber(f[7]) then
    -- Past its expiry but not yet reaped by Redis: it is over.
    redis.call('DEL', record)
    redis.call('ZREM', index, hash)
  else
    local lastSeen, idle, absolute = tonumber(f[5]), tonumber(f[6]), tonumber(f[7])
    if now - lastSeen >= intervalMs then
      lastSeen, idle = now, math.min(now + idleMs, absolute)
      redis.call('HSET', record, 'lastSeenAt', lastSeen, 'idleExpiresAt', idle)
      redis.call('PEXPIREAT', record, idle)
      redis.call('ZADD', index, idle, hash)
      if redis.call('PEXPIRETIME', index) < idle then redis.call('PEXPIREAT', index, idle) end
    end
    found = { f[1], f[2], f[3], f[4], lastSeen, idle, absolute, redis.call('SMEMBERS', roles) }
  end
  sessions[record] = found
  return found
end

--[[ Sliding-window logs. A log is a string: a header {head, runs, units} (3 x u32), then runs of
  {time ms (i8), units (u32)}, oldest first. Runs before `head` have left the window; `units`
  counts those after it. Read and written in place (GETRANGE, SETRANGE, APPEND), so a decision
  costs the same whatever the log holds; each log is read once per call and written once. ]]
local logs = {}
local function openLog(key)
  local log = logs[key]
  if log then return log end
  local h = redis.call('GETRANGE', key, 0, HEADER - 1)
  log = { key = key, runs = {}, dirty = {} }
  if #h == HEADER then
    log.head, log.count, log.units = unpack('>I4I4I4', h)
  else
    log.head, log.count, log.units = 0, 0, 0
  end
  log.stored = log.count
  logs[key] = log
  return log
end

-- Run i (0-based): {time, units}, read at most once per call.
local function run(log, i)
  local r = log.runs[i]
  if not r then
    local at = HEADER + i * RUN
    local time, units = unpack('>i8I4', redis.call('GETRANGE', log.key, at, at + RUN - 1))
    r = { time, units }
    log.runs[i] = r
  end
  return r
end

-- Drops the runs that have left the window (time <= cutoff); amortised O(1) per unit.
local function expire(log, cutoff)
  while log.units > 0 and log.head < log.count do
    local r = run(log, log.head)
    if r[1] > cutoff then return end
    log.units = log.units - r[2]
    log.head = log.head + 1
  end
  if log.units == 0 then log.head = log.count end
end

-- Records `cost` units now. Units share a run within `grain` ms; a run carries its newest
-- unit's time, so a merged unit never leaves before its own time would (the strict side).
local function record(log, cost, grain)
  local time = now
  local last = log.count > 0 and run(log, log.count - 1)
  if last and last[1] > time then time = last[1] end -- Redis' clock stepped back: keep order
  if last and log.head < log.count and math.floor(last[1] / grain) == math.floor(time / grain) then
    last[1], last[2] = time, last[2] + cost
    log.dirty[log.count - 1] = true
  else
    log.runs[log.count] = { time, cost }
    log.count = log.count + 1
  end
  log.units = log.units + cost
  log.changed = true
end

local function packRun(r) return pack('>i8I4', r[1], r[2]) end

local function save(log, windowMs)
  if not log.changed then return end
  local ttl = windowMs + 1
  if log.head >= log.stored or (log.head >= 16 and log.head * 2 >= log.count) then
    -- Mostly runs that have left: rewrite without them.
    local parts = { pack('>I4I4I4', 0, log.count - log.head, log.units) }
    if log.head < log.stored then
      local kept = redis.call('GETRANGE', log.key, HEADER + log.head * RUN, HEADER + log.stored * RUN - 1)
      for i = log.head, log.stored - 1 do
        if log.dirty[i] then
          local at = (i - log.head) * RUN
          kept = kept:sub(1, at) .. packRun(log.runs[i]) .. kept:sub(at + RUN + 1)
        end
      end
      parts[2] = kept
    end
    for i = math.max(log.head, log.stored), log.count - 1 do parts[#parts + 1] = packRun(log.runs[i]) end
    redis.call('SET', log.key, table.concat(parts), 'PX', ttl)
    return
  end
  for i in pairs(log.dirty) do
    if i < log.stored then redis.call('SETRANGE', log.key, HEADER + i * RUN, packRun(log.runs[i])) end
  end
  if log.count > log.stored then
    local added = {}
    for i = log.stored, log.count - 1 do added[#added + 1] = packRun(log.runs[i]) end
    redis.call('APPEND', log.key, table.concat(added))
  end
  redis.call('SETRANGE', log.key, 0, pack('>I4I4I4', log.head, log.count, log.units))
  redis.call('PEXPIRE', log.key, ttl)
end

local windowOf = {} -- log key -> window ms, for save()

-- Spends `cost` units in every window (keys at first .. first + #windows - 1), or none when any
-- window lacks room (or when only peeking). Returns {allowed, remaining, waitMs, window}.
local function decide(first, cost, windows, peek)
  local refused, wait = 0, -1 -- the refusing window with the longest wait
  local reported, fewest, reset = 0, 0, 0 -- the window with the fewest units left
  local open = {}
  for w = 1, #windows do
    local limit, windowMs = windows[w][1], windows[w][2]
    local key = KEYS[first + w - 1]
    local log = openLog(key)
    windowOf[key] = windowMs
    local cutoff = now - windowMs
    expire(log, cutoff)
    open[w] = log
    local left = limit - log.units
    if reported == 0 or left < fewest or (left == fewest and windowMs > windows[reported][2]) then
      reported, fewest = w, left
      reset = log.units > 0 and run(log, log.head)[1] - cutoff or (peek and 0 or windowMs)
    end
    if cost > left then
      local waitMs = -1
      if cost <= limit then
        -- Room comes when `cost - left` units have left: when the run holding the last of them does.
        local need, i = cost - left, log.head
        while true do
          local r = run(log, i)
          need = need - r[2]
          if need <= 0 then waitMs = r[1] - cutoff break end
          i = i + 1
        end
      end
      if refused == 0 or waitMs == -1 or (wait ~= -1 and waitMs > wait) then refused, wait = w, waitMs end
    end
  end
  if refused > 0 then return { 0, math.max(fewest, 0), wait, refused - 1 } end
  if peek then return { 1, fewest, reset, reported - 1 } end
  for w = 1, #windows do
    local limit, windowMs = windows[w][1], windows[w][2]
    record(open[w], cost, limit > MAX_RUNS and math.ceil(windowMs / MAX_RUNS) or 1)
  end
  return { 1, fewest - cost, reset, reported - 1 }
end

local replies = {}
local a = 2
for e = 1, tonumber(ARGV[1]) do
  local session, decision, reads = false, false, {}

  local s = tonumber(ARGV[a])
  a = a + 1
  if s > 0 then
    session = resolveSession(KEYS[s], KEYS[s + 1], KEYS[s + 2], ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]))
    a = a + 3
  end

  local n = tonumber(ARGV[a])
  if n > 0 then
    local cost, peek = tonumber(ARGV[a + 1]), ARGV[a + 2] == '1'
    local sessionKeys, otherKeys = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    local windows = {}
    for w = 1, n do windows[w] = { tonumber(ARGV[a + 3 + 2 * w]), tonumber(ARGV[a + 4 + 2 * w]) } end
    a = a + 5 + 2 * n
    local charged = (session and sessionKeys > 0) and 1 or 0
    decision = decide(charged == 1 and sessionKeys or otherKeys, cost, windows, peek)
    decision[5] = charged
  else
    a = a + 1
  end

  local r = tonumber(ARGV[a])
  for i = 1, r do reads[i] = redis.call('GET', KEYS[tonumber(ARGV[a + i])]) end
  a = a + 1 + r

  replies[e] = { session, decision, reads }
end

for key, log in pairs(logs) do save(log, windowOf[key]) end
return replies

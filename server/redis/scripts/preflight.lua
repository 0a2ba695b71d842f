--[[
  Requests' Redis work in one call (server/redis/preflight.ts); every key is in KEYS, by index.
  ARGV[1]  entries; negative: rate-limit decisions only, compact layout (read below). Per entry:
    s      session record key index (0: none); if > 0: index key s+1, roles key s+2, then
           token hash, idle timeout ms, touch interval ms (0: always touch)
    n      limit windows (0: none); if > 0: cost, first key index for a found session (0:
           none), first key index for everyone else, then (limit, window ms) per window
    r      reads, then r key indexes (GET each)
  Reply per entry: { session, decision, reads }
    session   false | {userId, email, publicId, createdAt, lastSeenAt, idleExpiresAt,
              absoluteExpiresAt, {roles}} (ms)
    decision  false | {allowed 1/0, remaining, waitMs, window (0-based), charged 1 session's keys / 0}
    reads     the values (false: missing)
  Time is Redis' TIME; the log format and why: docs/redis.md.
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
  counts those after it. Each log is read once per call and written once, and a decision costs
  the same whatever the log holds: the first read is the header with up to PREFIX runs. A log
  that fits in it (the common case) is decided in memory and written back whole, without the
  runs that have left, by one PSETEX (value and TTL); in the batch layout's fast path (below), in
  place while no run has left. A longer one is read and written in place (GETRANGE of single runs,
  SETRANGE, APPEND, then PEXPIRE). ]]
local PREFIX = 32 -- runs read with the header
local floor, ceil, min, max = math.floor, math.ceil, math.min, math.max
local PREFIX_LAST = tostring(HEADER + PREFIX * RUN - 1) -- numbers given to redis.call as text: no conversion per call
local logs, opened = {}, {} -- by key; in the order opened
local ttlText = {} -- window ms -> its TTL (window + 1 ms) as text
local function openLog(key, windowMs, h) -- h: its first read, when already made
  local log = logs[key]
  if log then return log end
  h = h or redis.call('GETRANGE', key, '0', PREFIX_LAST)
  local head, count, units = 0, 0, 0
  if #h >= HEADER then head, count, units = unpack('>I4I4I4', h) end
  -- from: the first run this call changed or added; runs from it on live in `tail*` (the last)
  -- and `changed` (the others, only when one call adds several).
  log = { key = key, raw = h, whole = #h == HEADER + count * RUN or #h < HEADER, inRaw = floor((#h - HEADER) / RUN), headTime = 0,
          head = head, count = count, units = units, stored = count, from = false, tailTime = 0, tailUnits = 0,
          windowMs = windowMs }
  logs[key] = log
  opened[#opened + 1] = log
  return log
end

-- Run i (0-based): time, units.
local function run(log, i)
  if log.from and i >= log.from then
    if i == log.count - 1 then return log.tailTime, log.tailUnits end
    local r = log.changed[i]
    return r[1], r[2]
  end
  if i < log.inRaw then
    local time, units = unpack('>i8I4', log.raw, HEADER + i * RUN + 1)
    return time, units
  end
  local read = log.read or {}
  log.read = read
  local r = read[i]
  if not r then
    local at = HEADER + i * RUN
    local time, units = unpack('>i8I4', redis.call('GETRANGE', log.key, at, at + RUN - 1))
    r = { time, units }
    read[i] = r
  end
  return r[1], r[2]
end

-- Drops the runs that have left the window (time <= cutoff); amortised O(1) per unit. Leaves
-- the time of the oldest run left in `headTime`.
local function expire(log, cutoff)
  while log.units > 0 and log.head < log.count do
    local time, units = run(log, log.head)
    if time > cutoff then
      log.headTime = time
      return
    end
    log.units = log.units - units
    log.head = log.head + 1
  end
  if log.units == 0 then log.head = log.count end
end

-- Records `cost` units now. Units share a run within `grain` ms; a run carries its newest
-- unit's time, so a merged unit never leaves before its own time would (the strict side).
local function record(log, cost, grain)
  local time, last, lastUnits = now, false, 0
  if log.count > 0 then last, lastUnits = run(log, log.count - 1) end
  if last and last > time then time = last end -- Redis' clock stepped back: keep order
  if last and log.head < log.count and floor(last / grain) == floor(time / grain) then
    if not log.from then log.from = log.count - 1 end
    log.tailTime, log.tailUnits = time, lastUnits + cost
  else
    if log.from then
      log.changed = log.changed or {}
      log.changed[log.count - 1] = { log.tailTime, log.tailUnits }
    else
      log.from = log.count
    end
    log.tailTime, log.tailUnits = time, cost
    log.count = log.count + 1
  end
  log.units = log.units + cost
end

local function packRuns(log, from, to)
  if from == to - 1 then return pack('>i8I4', run(log, from)) end
  local parts = {}
  for i = from, to - 1 do parts[#parts + 1] = pack('>i8I4', run(log, i)) end
  return table.concat(parts)
end

local function save(log)
  if not log.from then return end
  local ttl = ttlText[log.windowMs]
  if not ttl then
    ttl = tostring(log.windowMs + 1)
    ttlText[log.windowMs] = ttl
  end
  local head, stored, count = log.head, log.stored, log.count
  local from = max(log.from, head)
  if log.whole or head >= stored or (head >= 16 and head * 2 >= count) then
    -- Written whole, without the runs that have left: all in memory, or mostly runs that have left.
    local kept = ''
    local keep = min(from, stored)
    if head < keep then
      if log.whole then
        kept = log.raw:sub(HEADER + head * RUN + 1, HEADER + keep * RUN)
      else
        kept = redis.call('GETRANGE', log.key, HEADER + head * RUN, HEADER + keep * RUN - 1)
      end
    end
    redis.call('PSETEX', log.key, ttl, pack('>I4I4I4', 0, count - head, log.units) .. kept .. packRuns(log, from, count))
    return
  end
  if from < stored then redis.call('SETRANGE', log.key, HEADER + from * RUN, packRuns(log, from, stored)) end
  if count > stored then redis.call('APPEND', log.key, packRuns(log, max(from, stored), count)) end
  redis.call('SETRANGE', log.key, 0, pack('>I4I4I4', head, count, log.units))
  redis.call('PEXPIRE', log.key, ttl)
end

local open = {} -- decide()'s logs, by window

-- Spends `cost` units in every window (keys at first .. first + n - 1; window w allows limits[w]
-- units per windowMs[w]), or none when any window lacks room (or when only peeking). Returns
-- allowed (1/0), remaining, waitMs, window (0-based).
local function decide(first, cost, n, limits, windowsMs, peek)
  local refused, wait = 0, -1 -- the refusing window with the longest wait
  local reported, fewest, reset, reportedMs = 0, 0, 0, 0 -- the window with the fewest units left
  for w = 1, n do
    local limit, windowMs = limits[w], windowsMs[w]
    local log = openLog(KEYS[first + w - 1], windowMs)
    local cutoff = now - windowMs
    expire(log, cutoff)
    open[w] = log
    local left = limit - log.units
    if reported == 0 or left < fewest or (left == fewest and windowMs > reportedMs) then
      reported, fewest, reportedMs = w, left, windowMs
      reset = log.units > 0 and log.headTime - cutoff or (peek and 0 or windowMs)
    end
    if cost > left then
      local waitMs = -1
      if cost <= limit then
        -- Room comes when `cost - left` units have left: when the run holding the last of them does.
        local need, i = cost - left, log.head
        while true do
          local time, units = run(log, i)
          need = need - units
          if need <= 0 then waitMs = time - cutoff break end
          i = i + 1
        end
      end
      if refused == 0 or waitMs == -1 or (wait ~= -1 and waitMs > wait) then refused, wait = w, waitMs end
    end
  end
  if refused > 0 then return 0, max(fewest, 0), wait, refused - 1 end
  if peek then return 1, fewest, reset, reported - 1 end
  for w = 1, n do
    local limit = limits[w]
    record(open[w], cost, limit > MAX_RUNS and ceil(windowsMs[w] / MAX_RUNS) or 1)
  end
  return 1, fewest - cost, reset, reported - 1
end

local m = tonumber(ARGV[1])
if m < 0 then
  -- A batch of rate-limit decisions only, all for one policy (createLimiter's limit and peek):
  -- ARGV: -entries, n windows, limit and window ms per window, then per entry its cost (0: peek
  -- at 1 unit); KEYS: n window keys per entry. Reply: flat, 4 per entry {allowed 1/0,
  -- remaining, waitMs, window (0-based)}.
  local n = tonumber(ARGV[2])
  local limits, windowsMs = {}, {}
  for w = 1, n do limits[w], windowsMs[w] = tonumber(ARGV[1 + 2 * w]), tonumber(ARGV[2 + 2 * w]) end
  --[[ The fast path, for a one-window policy (most entries of a batch: one each for many
    callers): decide() inlined, for an entry whose key decide() does not hold and the next entry
    does not use. (One caller's requests come together, in one turn of its event loop: those go
    to decide(), which reads and writes their log once for all.) The log is read once and written
    at once: a log that fits in the first read is decided on the read string itself, with no log
    table, unpacking only the oldest run left and the newest. While no run has left, the write is
    in place: the new run appended (or the newest rewritten when the unit joins it), the header,
    the expiry at now + window + 1 ms by PEXPIREAT (a PEXPIRE is rewritten into one for
    propagation). That costs Redis less than building and setting the whole value, as save()
    does otherwise. Same decisions, same bytes as decide(); a longer log is left opened for it. ]]
  local limit, windowMs = limits[1], windowsMs[1]
  local grain = limit > MAX_RUNS and ceil(windowMs / MAX_RUNS) or 1 -- as decide() records
  local ttl, expireAt = tostring(windowMs + 1), tostring(now + windowMs + 1)
  local call, keys, argv = redis.call, KEYS, ARGV -- locals: no global lookup per use
  local out, o, at = {}, 0, 3 + 2 * n
  for e = 1, -m do
    local cost = argv[at + e - 1]
    local peek = cost == '0'
    cost = (peek or cost == '1') and 1 or tonumber(cost)
    local first, allowed, remaining, waitMs, window = (e - 1) * n + 1
    local key = keys[first]
    if n == 1 and not logs[key] and key ~= keys[first + 1] then
      local h = call('GETRANGE', key, '0', PREFIX_LAST)
      local head, count, units = 0, 0, 0
      if #h >= HEADER then head, count, units = unpack('>I4I4I4', h) end
      if #h < HEADER or #h == HEADER + count * RUN then -- the whole log
        local cutoff, headTime = now - windowMs, 0
        while units > 0 and head < count do -- expire()
          local time, u = unpack('>i8I4', h, HEADER + head * RUN + 1)
          if time > cutoff then headTime = time break end
          units = units - u
          head = head + 1
        end
        if units == 0 then head = count end
        local left = limit - units
        window = 0
        if cost > left then
          allowed, remaining, waitMs = 0, max(left, 0), -1
          if cost <= limit then -- the wait as decide() finds it
            local need, i = cost - left, head
            while true do
              local time, u = unpack('>i8I4', h, HEADER + i * RUN + 1)
              need = need - u
              if need <= 0 then waitMs = time - cutoff break end
              i = i + 1
            end
          end
        else
          allowed, remaining, waitMs = 1, left, units > 0 and headTime - cutoff or (peek and 0 or windowMs)
          if not peek then
            remaining = left - cost
            -- record(): runs head .. kept - 1 stay as they are, then the newest
            local time, kept, newest = now, count, cost
            if count > 0 then
              local last, lastUnits = unpack('>i8I4', h, HEADER + (count - 1) * RUN + 1)
              if last > time then time = last end -- Redis' clock stepped back: keep order
              if head < count and (last == time or (grain > 1 and floor(last / grain) == floor(time / grain))) then
                kept, newest = count - 1, lastUnits + cost
              end
            end
            if head == 0 and count > 0 then -- no run has left: in place
              if kept < count then
                call('SETRANGE', key, HEADER + kept * RUN, pack('>i8I4', time, newest))
              else
                call('APPEND', key, pack('>i8I4', time, newest))
              end
              call('SETRANGE', key, '0', pack('>I4I4I4', 0, kept + 1, units + cost))
              call('PEXPIREAT', key, expireAt)
            else -- new, or runs have left: whole, as save()
              call('PSETEX', key, ttl, pack('>I4I4I4', 0, kept - head + 1, units + cost) ..
                h:sub(HEADER + head * RUN + 1, HEADER + kept * RUN) .. pack('>i8I4', time, newest))
            end
          end
        end
      else
        openLog(key, windowMs, h) -- longer than the first read: decide() goes on from it
      end
    end
    if not allowed then
      allowed, remaining, waitMs, window = decide(first, cost, n, limits, windowsMs, peek)
    end
    out[o + 1], out[o + 2], out[o + 3], out[o + 4] = allowed, remaining, waitMs, window
    o = o + 4
  end
  for i = 1, #opened do save(opened[i]) end
  return out
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
    local cost, sessionKeys, otherKeys = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    local charged = (session and sessionKeys > 0) and 1 or 0
    local limits, windowsMs = {}, {}
    for w = 1, n do limits[w], windowsMs[w] = tonumber(ARGV[a + 2 + 2 * w]), tonumber(ARGV[a + 3 + 2 * w]) end
    decision = { decide(charged == 1 and sessionKeys or otherKeys, cost, n, limits, windowsMs, false) }
    a = a + 4 + 2 * n
    decision[5] = charged
  else
    a = a + 1
  end

  local r = tonumber(ARGV[a])
  for i = 1, r do reads[i] = redis.call('GET', KEYS[tonumber(ARGV[a + i])]) end
  a = a + 1 + r

  replies[e] = { session, decision, reads }
end

for i = 1, #opened do save(opened[i]) end
return replies

--[[
  Announces a trending window's new top 10 on the event stream once per change, however many
  instances notice it: compare with the last top announced; only when it differs, remember the
  new one and XADD `trending.changed`, in one script.
  KEYS[1]  the last top announced for this window (String: post ids as JSON)
  KEYS[2]  the event stream; both keys share the hash tag {events}
  ARGV[1]  the new top, post ids as JSON, most viewed first
  ARGV[2]  TTL of KEYS[1], ms (renewed with each announcement)
  ARGV[3]  the stream's approximate cap (MAXLEN ~)
  ARGV[4]  the entry's `type` field; ARGV[5] its `data` field (the event's JSON)
  Returns the new entry's id, or nil when the top is the one last announced. Nothing announced
  yet reads as an empty top, so a site without views announces nothing.
]]
if (redis.call('GET', KEYS[1]) or '[]') == ARGV[1] then
  return nil
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', ARGV[4], 'data', ARGV[5])

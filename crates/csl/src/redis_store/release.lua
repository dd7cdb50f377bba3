-- release: ARGV[1] session id, ARGV[2] clock retention (µs).
-- Returns {removed 0|1 (the session was live), now}.
local now = store_now()
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local removed = 0
if score then
  redis.call('ZREM', KEYS[1], ARGV[1])
  if tonumber(score) > now then
    removed = 1
  end
end
keep(now, tonumber(ARGV[2]))
return {removed, now}

-- admit: ARGV[1] session id, ARGV[2] max live sessions, ARGV[3] lease (µs),
-- ARGV[4] clock retention (µs). One atomic step: purge expired, look up, count, add.
-- Returns {admitted 0|1, live, now, expires_at (admitted) | frees_at (refused), renewed 0|1}.
local now = store_now()
local max = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
-- Leases are live on [start, expiry): an expiry equal to now is over.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
local live = redis.call('ZCARD', KEYS[1])
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
local reply
if mine or live < max then
  local expires = now + lease
  redis.call('ZADD', KEYS[1], int(expires), ARGV[1])
  if mine then
    reply = {1, live, now, expires, 1}
  else
    reply = {1, live + 1, now, expires, 0}
  end
else
  -- live >= max: a slot frees when live - max + 1 leases have expired.
  local nth = redis.call('ZRANGE', KEYS[1], live - max, live - max, 'WITHSCORES')
  reply = {0, live, now, tonumber(nth[2]), 0}
end
keep(now, tonumber(ARGV[4]))
return reply

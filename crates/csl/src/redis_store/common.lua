-- Shared by every csl script. KEYS[1] is the user's lease set (ZSET: member = session id,
-- score = lease expiry in store microseconds); KEYS[2] is the user's clock: the latest store
-- time any decision for this user has used. Both carry the same {hash tag}, so the script is
-- Redis-Cluster safe. clock_now(), expire_at() and set_until() come from the clock prelude
-- above.

-- Integers as text: Lua 5.1 would print 1.7e15 as "1.7e+15" and lose digits.
local function int(x)
  return string.format('%d', x)
end

-- Store time: the clock, but never earlier than the user's last decision, so time never runs
-- backwards for a user even if the Redis host's clock does (a lease seen expired stays dead).
local function store_now()
  local now = clock_now()
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  if last and now < last then
    now = last
  end
  return now
end

-- Records the user's clock and lets both keys vanish on their own once the last lease has
-- expired (plus `retention` for the clock, so a clock jump back soon after still sees it).
local function keep(now, retention)
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local horizon = now
  if last[2] then
    horizon = tonumber(last[2])
    expire_at(KEYS[1], horizon, now)
  end
  set_until(KEYS[2], int(now), horizon + retention, now)
end

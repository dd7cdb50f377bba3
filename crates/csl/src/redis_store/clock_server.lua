-- Clock prelude for production: the Redis server's own TIME (microseconds), so every replica
-- of the service sees one clock. Keys expire at absolute server times (PEXPIREAT): store time
-- is never behind server time, so a key never vanishes before its last lease ends.
local function clock_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function expire_at(key, until_us, _now)
  redis.call('PEXPIREAT', key, string.format('%d', math.floor(until_us / 1000) + 1))
end

local function set_until(key, value, until_us, _now)
  redis.call('SET', key, value, 'PXAT', string.format('%d', math.floor(until_us / 1000) + 1))
end

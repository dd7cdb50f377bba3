-- live (read-only): returns {now, {session ids}, {expiries}} of the live leases, earliest first.
local now = store_now()
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. int(now), '+inf', 'WITHSCORES')
local ids, expiries = {}, {}
for i = 1, #rows, 2 do
  ids[#ids + 1] = rows[i]
  expiries[#expiries + 1] = tonumber(rows[i + 1])
end
return {now, ids, expiries}

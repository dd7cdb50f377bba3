-- Clock prelude for differential tests only: the time comes from the caller as the last
-- argument, so a test can run the production logic on a simulated clock. Keys then expire
-- relative to that clock (PEXPIRE), since it has nothing to do with the server's time.
local function clock_now()
  return tonumber(ARGV[#ARGV])
end

local function expire_at(key, until_us, now)
  redis.call('PEXPIRE', key, string.format('%d', math.floor((until_us - now) / 1000) + 1))
end

-- Clock prelude for differential tests only: the time comes from the caller as the last
-- argument, so a test can run the production logic on a simulated clock. That clock has
-- nothing to do with the server's, so keys simply expire one day (server time) after their
-- last use instead of when their last lease ends.
local function clock_now()
  return tonumber(ARGV[#ARGV])
end

local function expire_at(key, _until_us, _now)
  redis.call('PEXPIRE', key, 86400000)
end

local function set_until(key, value, _until_us, _now)
  redis.call('SET', key, value, 'PX', 86400000)
end

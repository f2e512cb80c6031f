-- Read path: a pharmacy checks authorization status (GET /api/v1/authorizations/{number}).
-- Each wrk thread starts at a random line of $AUTHS. With SPLIT=n (n = wrk's -t), thread k starts at
-- the k-th n-th of the file instead, so that with fewer requests than lines every number is asked
-- once (bench/load/status-cache.sh's first lookups). wrk runs each thread's init before the next
-- thread's setup, so the thread count cannot be counted here and is given.
package.path = package.path .. ";bench/load/?.lua"
local report = require("report")
local numbers = {}
local i = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("AUTHS")) do numbers[#numbers + 1] = line end
  local split = tonumber(os.getenv("SPLIT") or "")
  if split then
    i = id * math.floor(#numbers / split)
  else
    i = math.random(#numbers)
  end
  wrk.headers["X-Api-Key"] = "demo-key-main-street-pharmacy"
end

function request()
  i = (i % #numbers) + 1
  return wrk.format("GET", "/api/v1/authorizations/" .. numbers[i])
end

function done(summary, latency, requests)
  report.percentiles(latency)
end

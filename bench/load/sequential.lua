-- The status check over $AUTHS in file order, each wrk thread from its own half of the file: with
-- fewer requests than lines, every number is asked once (bench/load/status-cache.sh's first lookups).
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
  i = id * math.floor(#numbers / 2)
  wrk.headers["X-Api-Key"] = "demo-key-main-street-pharmacy"
end

function request()
  i = (i % #numbers) + 1
  return wrk.format("GET", "/api/v1/authorizations/" .. numbers[i])
end

function done(summary, latency, requests)
  report.percentiles(latency)
end

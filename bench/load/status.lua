-- Read path: a pharmacy checks authorization status (GET /api/v1/authorizations/{number}).
package.path = package.path .. ";bench/load/?.lua"
local report = require("report")
local numbers = {}
local i = 0

function init(args)
  for line in io.lines(os.getenv("AUTHS")) do numbers[#numbers + 1] = line end
  i = math.random(#numbers)
  wrk.headers["X-Api-Key"] = "demo-key-main-street-pharmacy"
end

function request()
  i = (i % #numbers) + 1
  return wrk.format("GET", "/api/v1/authorizations/" .. numbers[i])
end

function done(summary, latency, requests)
  report.percentiles(latency)
end

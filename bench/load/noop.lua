-- The no-op: GET /api/v1/ping, the HTTP limit of this machine.
package.path = package.path .. ";bench/load/?.lua"
local report = require("report")

function request()
  return wrk.format("GET", "/api/v1/ping")
end

function done(summary, latency, requests)
  report.percentiles(latency)
end

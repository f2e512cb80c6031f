-- A patient's companion writes beside the counter's reads: POST /api/v1/patients/{id}/doses, one
-- connection, one request every DELAY_MS (default 50 ms, so about 20 a second). Nothing it writes
-- is what a pharmacy's status check is decided on, so the status cache should keep answering.
-- Environment: TOKEN (the patient's bearer token), PATIENT, DAY (an ISO date the diary accepts).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "50")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, refused = 0, 0
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  return wrk.format("POST", "/api/v1/patients/" .. os.getenv("PATIENT") .. "/doses", nil,
    '{"date":"' .. os.getenv("DAY") .. '","status":"taken","capsules":1}')
end

function delay()
  return delay_ms
end

function response(status, headers, body)
  -- 201 for the day's first entry, 200 for each later one (it corrects that day's entry).
  if status == 201 or status == 200 then ok = ok + 1 else refused = refused + 1 end
end

function done(summary, latency, requests)
  local o, r = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); r = r + t:get("refused") end
  io.write(string.format("diary entries recorded: %d, refused: %d\n", o, r))
end

package.path = package.path .. ";bench/load/?.lua"
local report = require("report")
-- Write path: confirm an authorization, then dispense against the confirmation, as a pharmacy does.
-- Each wrk thread takes its own share of the authorization numbers so no two confirm the same one.
-- ONE_STEP=1: both in one request per number (POST /authorizations/{number}/dispense), as a pharmacy
-- system that has counseled the patient and dispenses now.
local one_step = os.getenv("ONE_STEP") == "1"
-- KEYED=1: every write carries an Idempotency-Key, as a pharmacy system that retries safely does
-- (its stored answer is one more row and index entry per request).
local keyed = os.getenv("KEYED") == "1"
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local body = '{"ndc":"59572-0410-28","quantity":28,"daysSupply":28,"checklist":{"counselorName":"Load","workPhone":"555-0100",' ..
  '"medicationGuideGiven":true,"sideEffectsDiscussed":true,"noSharingDiscussed":true,"noBloodDonationDiscussed":true,' ..
  '"doNotBreakChewOpenDiscussed":true,"doseInstructionsGiven":true,"contraceptionDiscussed":true,"guardianPresentForChild":false}}'

-- RATE (dispenses/s, all threads together; unset = as fast as the connections go): each thread sends
-- its requests on a fixed schedule, two per dispense (one in ONE_STEP), request k at k / (its share of 2 x RATE) seconds
-- after its first, with a connection waiting (wrk's delay()) when it is early and sending at once when
-- the schedule is behind. Latency is still measured from the send, not from the scheduled time
-- (wrk, not wrk2): a stall that holds back sends is under-counted, which docs/benchmarks.md says.
local rate = tonumber(os.getenv("RATE") or "0")
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } imid_timespec; int clock_gettime(int, imid_timespec *); ]]
  local ts = ffi.new("imid_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / ((one_step and 1 or 2) * rate / tonumber(os.getenv("THREADS") or "2"))
  local first, slot
  function delay()
    local t = now_ms()
    if first == nil then first, slot = t, 0 end
    slot = slot + 1
    local due = first + slot * interval
    return due > t and (due - t) or 0
  end
end

function init(args)
  numbers, pending, nexti = {}, {}, 1
  confirmed, dispensed, refused, other = 0, 0, 0, 0
  local n, nthreads = 0, tonumber(os.getenv("THREADS") or "2")
  for line in io.lines(os.getenv("AUTHS")) do
    if n % nthreads == tid then numbers[#numbers + 1] = line end
    n = n + 1
  end
  wrk.headers["X-Api-Key"] = "demo-key-main-street-pharmacy"
  wrk.headers["Content-Type"] = "application/json"
end

local function post(path, content, key)
  if keyed then
    wrk.headers["Idempotency-Key"] = key
  end
  return wrk.format("POST", path, nil, content)
end

function request()
  if #pending > 0 then
    local c = table.remove(pending)
    return post("/api/v1/confirmations/" .. c .. "/dispense", body, "d-" .. c)
  end
  if nexti > #numbers then
    wrk.headers["Idempotency-Key"] = nil
    return wrk.format("GET", "/api/v1/ping")
  end
  nexti = nexti + 1
  local a = numbers[nexti - 1]
  if one_step then
    return post("/api/v1/authorizations/" .. a .. "/dispense", body, "o-" .. a)
  end
  return post("/api/v1/authorizations/" .. a .. "/confirmations", nil, "c-" .. a)
end

function response(status, headers, body)
  if status == 201 and one_step then
    confirmed = confirmed + 1
    dispensed = dispensed + 1
  elseif status == 201 then
    local c = body:match('"number":"(C%d+)"')
    if c then
      confirmed = confirmed + 1
      pending[#pending + 1] = c
    else
      dispensed = dispensed + 1
    end
  elseif status >= 400 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, d, r, o = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("confirmed"); d = d + t:get("dispensed"); r = r + t:get("refused"); o = o + t:get("other")
  end
  local seconds = summary.duration / 1e6
  report.percentiles(latency)
  io.write(string.format("confirmations: %d, dispenses: %d (%.0f durable dispenses/s), refused: %d, other: %d\n", c, d, d / seconds, r, o))
  if o > 0 then
    -- "other" are the pings sent once every number was used: the pass ended early for the dispenses.
    io.write("   (every number was used before the end, the rest of the time went to pings: the rate is a lower bound; more numbers with N)\n")
  end
end

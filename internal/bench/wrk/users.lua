-- wrk script for the cellgate benchmark (see BENCHMARKS.md and run.sh).
--   wrk ... -s users.lua URL -- get  PROJECT KEY IDS_FILE
--   wrk ... -s users.lua URL -- post PROJECT KEY RUN_TAG
-- GET reads the users listed in IDS_FILE round-robin; POST creates users
-- with emails unique to the run, the thread and the request.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local mode, requests, n, i, path, tag, headers

function init(args)
  mode = args[1]
  local project, key = args[2], args[3]
  headers = { ["Authorization"] = "Bearer " .. key, ["Accept"] = "application/json" }
  if mode == "get" then
    -- Pre-build every GET request, as the wrk docs advise for fast servers.
    requests, n = {}, 0
    for id in io.lines(args[4]) do
      n = n + 1
      requests[n] = wrk.format("GET", "/projects/" .. project .. "/users/" .. id, headers)
    end
    i = (tid or 0) * 97 % n
  else
    path, tag, i = "/projects/" .. project .. "/users", args[4], 0
    headers["Content-Type"] = "application/json"
  end
end

function request()
  i = i + 1
  if mode == "get" then
    return requests[i % n + 1]
  end
  local body = '{"email":"wrk-' .. tag .. '-' .. tid .. '-' .. i .. '@example.com","fullName":"Load User"}'
  return wrk.format("POST", path, headers, body)
end

-- One machine-readable line: requests/s, p50 and p99 in ms, and errors
-- (non-2xx statuses plus socket errors and timeouts).
function done(summary, latency, _)
  local e = summary.errors
  print(string.format("RESULT rps=%.0f p50=%.2fms p99=%.2fms requests=%d errors=%d",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout))
end

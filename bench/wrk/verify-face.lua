-- wrk script: face verifications (POST /api/v1/verifications), two PNGs per request (the
-- document photo and the live face, base64).
-- Script arguments: a file of bearer tokens (one a line: accounts registered with the same
-- person, each with the separate consent idv_face), then the path of a file holding the request
-- body ({"method":"face","name":…,"document_number":…,"document_photo":…,"face_image":…}),
-- written by scripts/bench-idv from the simulator's /_fixtures. Requests go round the tokens
-- (each thread from its own starting point), so that no account gathers a long history.
-- Every response must be 201 with outcome "match": anything else is counted, the first few are
-- printed, and done() prints "INVALID RUN" (scripts/bench-idv then fails): a benchmark of
-- refusals measures nothing.

local body, tokens, next_token = nil, {}, 0

-- Set per thread by setup() (globals, so that thread:set and thread:get reach them).
tid, nthreads = 1, 1
not_201, not_match = 0, 0

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(tokens, line) end
  end
  assert(#tokens > 0, "no tokens in " .. args[1])
  local f = assert(io.open(args[2], "rb"))
  body = f:read("*a")
  f:close()
  -- Threads start at different places in the list (wrk starts threads one by one, so the
  -- count is unknown here; a large stride keeps them apart).
  next_token = ((tid - 1) * 7919) % #tokens
end

request = function()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", "/api/v1/verifications", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[next_token],
  }, body)
end

local shown = 0
response = function(status, headers, resp)
  local bad = false
  if status ~= 201 then
    not_201 = not_201 + 1
    bad = true
  elseif not string.find(resp, '"outcome":"match"', 1, true) then
    not_match = not_match + 1
    bad = true
  end
  if bad and shown < 3 then
    shown = shown + 1
    print("unexpected response " .. status .. ": " .. string.sub(resp, 1, 400))
  end
end

function done(summary, latency, requests)
  local n201, nmatch = 0, 0
  for _, t in ipairs(threads) do
    n201 = n201 + t:get("not_201")
    nmatch = nmatch + t:get("not_match")
  end
  local secs = summary.duration / 1e6
  print(string.format(
    "verifications: %d in %.1f s = %.1f/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; "
      .. "not 201: %d; 201 without a match: %d; socket errors: %d",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, n201, nmatch,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  if n201 + nmatch > 0 or summary.requests == 0 then
    print("INVALID RUN: not every verification was a 201 match")
  end
end

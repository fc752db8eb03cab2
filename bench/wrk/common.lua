-- Shared by the wrk scripts of scripts/bench-ca (loaded with dofile from the script's own
-- folder). common.install(what, check) defines wrk's setup, response and done: check(status,
-- headers, body) returns nil for a good response or the reason it is not; bad responses are
-- counted per thread, the first few printed, and done() prints one summary line, then
-- "INVALID RUN" if any response was bad or none came (the bench script then fails): a benchmark
-- of refusals measures nothing.
local M = {}

-- Per thread (globals, so that thread:set and thread:get reach them).
tid, bad = 0, 0

local threads, shown = {}, 0

-- The non-empty lines of a file.
function M.lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then table.insert(out, line) end
  end
  assert(#out > 0, "nothing in " .. path)
  return out
end

-- A whole file, bytes as they are.
function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Bytes of a hex string.
function M.unhex(h)
  return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end

-- A response header, whatever the case of its name.
function M.header(headers, name)
  for k, v in pairs(headers) do
    if string.lower(k) == name then return v end
  end
end

-- Where the contents of `body` start if it is exactly one DER SEQUENCE (length in at most two
-- bytes), else nil and why not.
function M.sequence(body)
  local t, l = body:byte(1, 2)
  if t ~= 0x30 or not l then return nil, "not a DER SEQUENCE" end
  local off, len
  if l < 0x80 then
    off, len = 2, l
  elseif l == 0x81 then
    off, len = 3, body:byte(3)
  elseif l == 0x82 then
    off, len = 4, body:byte(3) * 256 + body:byte(4)
  else
    return nil, "unexpected DER length form"
  end
  if off + len ~= #body then return nil, "DER length " .. (off + len) .. " for a body of " .. #body end
  return off
end

-- Why an OCSP answer is not a successful OCSPResponse (nil if it is): HTTP 200, content type
-- application/ocsp-response, and a body that is exactly one DER SEQUENCE whose first element is
-- responseStatus ENUMERATED successful(0) (0a 01 00) followed by responseBytes [0] (a0).
function M.ocsp_problem(status, headers, body)
  if status ~= 200 then return "HTTP " .. status end
  local ct = M.header(headers, "content-type")
  if ct ~= "application/ocsp-response" then return "content-type " .. tostring(ct) end
  local off, why = M.sequence(body)
  if not off then return why end
  local e1, e2, e3, rb = body:byte(off + 1, off + 4)
  if e1 ~= 0x0a or e2 ~= 0x01 then return "no responseStatus" end
  if e3 ~= 0 then return "responseStatus " .. e3 .. " (not successful)" end
  if rb ~= 0xa0 then return "no responseBytes" end
  return nil
end

-- Why an OCSP answer does not say that `serial` (bytes) is good (nil if it does): it must be a
-- successful OCSPResponse whose SingleResponse has the serial then certStatus good, [0]
-- IMPLICIT NULL (80 00).
function M.ocsp_not_good(status, headers, body, serial)
  local why = M.ocsp_problem(status, headers, body)
  if why then return why end
  if not body:find(serial .. "\128\0", 1, true) then return "the serial is not said to be good" end
  return nil
end

function M.install(what, check)
  function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
  end

  function response(status, headers, body)
    local why = check(status, headers, body)
    if why then
      bad = bad + 1
      if shown < 3 then
        shown = shown + 1
        print("bad response (" .. why .. "): " .. status .. " " .. string.sub(body, 1, 300))
      end
    end
  end

  function done(summary, latency, requests)
    local nbad = 0
    for _, t in ipairs(threads) do nbad = nbad + t:get("bad") end
    local e = summary.errors
    local lost = e.connect + e.read + e.write + e.timeout
    local secs = summary.duration / 1e6
    print(string.format(
      "%s: %d in %.1f s = %.1f/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; "
        .. "bad: %d; socket errors and timeouts: %d",
      what, summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, nbad, lost))
    if nbad > 0 or lost > 0 or summary.requests == 0 then
      print("INVALID RUN: not every request was answered with " .. what)
    end
  end
end

return M

-- wrk script: certificate issuances (POST /api/v1/certificates).
-- Script arguments: a file of bearer tokens (one a line: verified accounts), the file holding
-- the request body ({"csr": PEM, ...} or {"hosted_key": ..., ...}), and "own" or "hosted" (the
-- key the certificate must say it has). Requests go round the tokens, each thread from its own
-- starting point. A good answer is a 201 with a certificate of status good, its PEM, the right
-- key kind and a serial this thread has not seen before (bench/wrk/common.lua counts the rest).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local body, tokens, next_token, hosted = nil, {}, 0, nil
local seen = {}

function init(args)
  tokens = common.lines(args[1])
  body = common.read(args[2])
  hosted = string.format('"hosted_key":%s', args[3] == "hosted" and "true" or "false")
  next_token = ((tid - 1) * 7919) % #tokens
end

request = function()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", "/api/v1/certificates", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[next_token],
  }, body)
end

common.install("201 issued", function(status, headers, resp)
  if status ~= 201 then return "HTTP " .. status end
  if not resp:find('"certificate_pem":"-----BEGIN CERTIFICATE-----', 1, true) then
    return "no certificate PEM"
  end
  if not resp:find('"status":"good"', 1, true) then return "status not good" end
  if not resp:find(hosted, 1, true) then return "not " .. hosted end
  local serial = resp:match('"serial":"(%x+)"')
  if not serial then return "no serial" end
  if seen[serial] then return "serial " .. serial .. " twice" end
  seen[serial] = true
  return nil
end)

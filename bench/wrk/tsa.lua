-- wrk script: RFC 3161 timestamps, one TimeStampReq repeated (POST /pki/tsa): every answer is a
-- new token with its own serial. Script argument: the file of the DER request. Every answer must
-- be HTTP 200, application/timestamp-reply, one DER TimeStampResp whose PKIStatusInfo is exactly
-- granted (30 03 02 01 00) followed by the token, a ContentInfo SEQUENCE (bench/wrk/common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

function init(args)
  wrk.method, wrk.path, wrk.body = "POST", "/pki/tsa", common.read(args[1])
  wrk.headers["Content-Type"] = "application/timestamp-query"
end

common.install("a granted timestamp", function(status, headers, body)
  if status ~= 200 then return "HTTP " .. status end
  local ct = common.header(headers, "content-type")
  if ct ~= "application/timestamp-reply" then return "content-type " .. tostring(ct) end
  local off, why = common.sequence(body)
  if not off then return why end
  local a, b, c, d, e, token = body:byte(off + 1, off + 6)
  if a ~= 0x30 or b ~= 0x03 or c ~= 0x02 or d ~= 0x01 then return "no PKIStatusInfo" end
  if e ~= 0 then return "PKIStatus " .. e .. " (not granted)" end
  if token ~= 0x30 then return "no timeStampToken" end
  return nil
end)

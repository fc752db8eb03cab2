-- wrk script: OCSP (RFC 6960) for one certificate, one request repeated: POST /pki/ocsp with a
-- nonce-less request, or GET /pki/ocsp/{b64}.
-- Script arguments: "post" or "get"; the file of the DER OCSPRequest (for "get": a file holding
-- the URL path, /pki/ocsp/<base64, URL-encoded>); the certificate's serial (hex). Every answer
-- must be a successful OCSPResponse saying the serial is good (bench/wrk/common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local serial

function init(args)
  local req = common.read(args[2])
  serial = common.unhex(args[3])
  if args[1] == "get" then
    wrk.method, wrk.path = "GET", req:gsub("%s+$", "")
  else
    assert(args[1] == "post", "the mode is post or get")
    wrk.method, wrk.path, wrk.body = "POST", "/pki/ocsp", req
    wrk.headers["Content-Type"] = "application/ocsp-request"
  end
end

common.install("a successful OCSP response, good", function(status, headers, body)
  return common.ocsp_not_good(status, headers, body, serial)
end)

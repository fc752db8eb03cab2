-- wrk script: OCSP (RFC 6960) over POST /pki/ocsp for one certificate, every request with its
-- own nonce, so that every response is signed for its request.
-- Script arguments: the file of a DER OCSPRequest for the certificate ending with a 16-byte
-- nonce (04 10 + 16 bytes, as `openssl ocsp -reqout` writes it); the certificate's serial (hex).
-- The nonce is rewritten per request: 8 bytes naming the thread and an 8-byte counter. Every
-- answer must be a successful OCSPResponse saying the serial is good (bench/wrk/common.lua) and
-- echo a nonce this thread sent and has not had back yet.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local NONCE_OID = "\6\9\43\6\1\5\5\7\48\1\2" -- id-pkix-ocsp-nonce, 1.3.6.1.5.5.7.48.1.2
local head, serial, prefix
local counter, outstanding = 0, {}

local function be64(n)
  local b = {}
  for i = 8, 1, -1 do
    b[i] = string.char(n % 256)
    n = math.floor(n / 256)
  end
  return table.concat(b)
end

function init(args)
  local req = common.read(args[1])
  assert(req:sub(-18, -17) == "\4\16" and req:find(NONCE_OID, 1, true),
    "the request does not end with a 16-byte nonce")
  head = req:sub(1, -17)
  serial = common.unhex(args[2])
  prefix = string.format("yxbench%c", tid)
end

request = function()
  counter = counter + 1
  local nonce = prefix .. be64(counter)
  outstanding[nonce] = true
  return wrk.format("POST", "/pki/ocsp", {["Content-Type"] = "application/ocsp-request"},
    head .. nonce)
end

common.install("a successful OCSP response, good, with its nonce", function(status, headers, body)
  local why = common.ocsp_not_good(status, headers, body, serial)
  if why then return why end
  local at = body:find(NONCE_OID, 1, true)
  local p = at and body:find(prefix, at, true)
  local nonce = p and body:sub(p, p + 15)
  if not nonce or #nonce ~= 16 or not outstanding[nonce] then
    return "not the nonce of a request sent"
  end
  outstanding[nonce] = nil
  return nil
end)

-- wrk script: GET /healthz, the HTTP stack's ceiling at the moment; every answer must be a 200.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
wrk.path = "/healthz"
common.install("200", function(status)
  if status ~= 200 then return "HTTP " .. status end
end)

-- wrk script: personal registrations with unique usernames (one per request).
-- The policy version is passed as the first script argument.
local counter = 0
local version = "2026-11-23"
-- Set per thread by setup() (a global, so that thread:set reaches it).
tid = 0
local started = 0

function setup(thread)
  started = started + 1
  thread:set("tid", started)
end

function init(args)
  if args[1] then version = args[1] end
end

request = function()
  counter = counter + 1
  local user = string.format("bench%dx%d", tid, counter)
  local body = string.format([[{"username":"%s","password":"correct horse 42","name":"王小明","country_region":"CN","document_type":"resident_id_card","document_number":"110105198001011238","mobile":"13800138000","email":"%s@example.cn","accept_policy_version":"%s","consents":["sensitive_personal_information"]}]], user, user, version)
  return wrk.format("POST", "/api/v1/accounts/personal", {["Content-Type"] = "application/json"}, body)
end

local shown = 0
response = function(status, headers, body)
  if status ~= 201 and shown < 3 then
    shown = shown + 1
    print("unexpected status " .. status .. ": " .. body)
  end
end

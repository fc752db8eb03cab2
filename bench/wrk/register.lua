-- wrk script: personal registrations with unique usernames (one per request).
-- The policy version is passed as the first script argument.
local counter = 0
local version = "2026-11-23"
local tid = 0
local threads = {}

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end

function init(args)
  if args[1] then version = args[1] end
end

request = function()
  counter = counter + 1
  local user = string.format("bench%d_%d_%d", tid, counter, math.random(1, 1000000000))
  local body = string.format([[{"username":"%s","password":"correct horse 42","name":"王小明","country_region":"CN","document_type":"resident_id_card","document_number":"110105198001011238","mobile":"13800138000","email":"%s@example.cn","accept_policy_version":"%s","consents":["sensitive_personal_information"]}]], user, user, version)
  return wrk.format("POST", "/api/v1/accounts/personal", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. ": " .. body)
  end
end

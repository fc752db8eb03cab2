-- wrk script: session-authenticated GET /api/v1/me; the token is the first script argument.
wrk.path = "/api/v1/me"

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

local shown = 0
response = function(status, headers, body)
  if status ~= 200 and shown < 3 then
    shown = shown + 1
    print("unexpected status " .. status .. ": " .. body)
  end
end

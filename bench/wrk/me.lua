-- wrk script: session-authenticated GET /api/v1/me; the token is the first script argument.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

response = function(status, headers, body)
  if status ~= 200 then
    print("unexpected status " .. status)
  end
end

-- wrk script: password logins of one registered account.
wrk.method = "POST"
wrk.path = "/api/v1/sessions"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"method":"password","username":"benchuser","password":"correct horse 42"}]]

local shown = 0
response = function(status, headers, body)
  if status ~= 201 and shown < 3 then
    shown = shown + 1
    print("unexpected status " .. status .. ": " .. body)
  end
end

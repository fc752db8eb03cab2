-- wrk script: password logins of one registered account.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[{"method":"password","username":"benchuser","password":"correct horse 42"}]]

response = function(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. ": " .. body)
  end
end

-- POST /api/v1/auth/login with one account's credentials (email, password as arguments).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
function init(args)
  wrk.method = "POST"
  wrk.path = "/api/v1/auth/login"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = string.format('{"email": "%s", "password": "%s"}', args[1], args[2])
end
done = report

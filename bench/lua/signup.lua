-- POST /api/v1/auth/signup, each request with a new email (run id, thread and counter in it).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local run, counter = "", 0
function init(args) run = args[1] end
function request()
  counter = counter + 1
  local body = string.format('{"email": "s%s-%d-%d@bench.test", "password": "bench password 123"}',
    run, tid, counter)
  return wrk.format("POST", "/api/v1/auth/signup", {["Content-Type"] = "application/json"}, body)
end
done = report

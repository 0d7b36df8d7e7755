-- GET /api/v1/user/profile as a cache miss: each access token (a file, one a line, as the first
-- argument; one per account, none of them read before) is sent once, so every request reads its
-- account from the database. Threads (their number the second argument) share the tokens out,
-- and a thread stops once it has sent its share: its only later request, sent as it stops, is
-- never read back and so never counted. With one connection per thread no token is left in
-- flight when that happens.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local queue, head, path = {}, 1, "/api/v1/user/profile"
function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % n == tid - 1 then queue[#queue + 1] = line end
    i = i + 1
  end
end
-- wrk 4 calls the first thread's request() once at start-up only to inspect it, and never
-- sends that one: it must not use up a token.
local inspected = false
function request()
  if tid == 1 and not inspected then
    inspected = true
    return wrk.format("GET", path)
  end
  local token = queue[head]
  if token then
    head = head + 1
  else
    wrk.thread:stop()
    token = queue[#queue]
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
done = report

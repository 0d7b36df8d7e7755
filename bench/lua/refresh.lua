-- POST /api/v1/auth/refresh. Every refresh token is single use: each thread starts with its
-- share of pre-issued tokens (a file, one a line, as the first argument) and sends the token
-- each successful answer returns, so every request carries a fresh, valid token.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local queue, head, tail = {}, 1, 0
function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i % n == tid - 1 then tail = tail + 1; queue[tail] = line end
    i = i + 1
  end
end
-- wrk 4 calls the first thread's request() once at start-up only to inspect it, and never
-- sends that one: it must not use up a token.
local inspected = false
function request()
  if tid == 1 and not inspected then
    inspected = true
    return wrk.format("POST", "/api/v1/auth/refresh", nil, "")
  end
  local token = queue[head] or "exhausted"
  queue[head] = nil
  head = head + 1
  return wrk.format("POST", "/api/v1/auth/refresh", {["Content-Type"] = "application/json"},
    '{"refreshToken": "' .. token .. '"}')
end
function response(status, headers, body)
  if status == 200 then
    local token = body:match('"refreshToken":"([^"]+)"')
    if token then tail = tail + 1; queue[tail] = token end
  end
end
done = report

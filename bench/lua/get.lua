-- GET with an optional bearer token (BENCH_TOKEN passed as the first script argument).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "report"
function init(args)
  if args[1] and args[1] ~= "" then wrk.headers["Authorization"] = "Bearer " .. args[1] end
end
done = report

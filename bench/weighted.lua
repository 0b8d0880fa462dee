-- wrk script: replays a traffic mix of weighted URLs (the load generator of
-- the partition advisor's scenario, docs/partitioning.md).
--   MIX=bench/advise.mix wrk -t2 -c4 -d60s -s bench/weighted.lua http://127.0.0.1:8000
-- The mix file has one "WEIGHT PATH" per line ('#' starts a comment); a
-- PATH with "{n}" gets 1..WEIGHT in its place, one URL each (articles).
-- Concurrency and duration are wrk's -c and -d. Each thread walks the same
-- shuffled sequence from its own offset, so every run sends the same mix.
local seq = {}
local f = assert(io.open(os.getenv("MIX") or "bench/advise.mix"), "set MIX to a mix file")
for line in f:lines() do
  local w, path = line:match("^%s*(%d+)%s+(%S+)")
  if w then
    for i = 1, tonumber(w) do
      seq[#seq + 1] = (path:gsub("{n}", tostring(i)))
    end
  end
end
f:close()
assert(#seq > 0, "the mix file names no URL")

-- A small LCG, so the shuffle does not depend on Lua's math.random.
local state = 12345
for i = #seq, 2, -1 do
  state = (state * 1103515245 + 12345) % 2147483648
  local j = state % i + 1
  seq[i], seq[j] = seq[j], seq[i]
end

local threads = 0
function setup(thread)
  thread:set("offset", threads * 97)
  threads = threads + 1
end

local pos = 0
function init(args)
  pos = offset or 0
end

function request()
  pos = pos % #seq + 1
  return wrk.format("GET", seq[pos])
end

-- wrk script for the demo-site mix (testdata/demo): mostly the hot URLs
-- the "volume" group serves, some ordinary pages, a few admin pages.
-- Per 1000 requests: 500 home page, 440 articles (100 different ones),
-- 58 other pages, 2 admin pages. Each wrk thread walks the same fixed,
-- shuffled sequence from its own offset, so every run and every server
-- gets the same mix.
local seq = {}

local function add(n, make)
  for i = 1, n do seq[#seq + 1] = make(i) end
end
add(500, function() return "/" end)
add(440, function(i) return "/publications/article/" .. (i % 100 + 1) end)
add(58, function(i) return "/about/" .. (i % 10) end)
add(2, function() return "/admin/" end)

-- A small LCG, so the shuffle does not depend on Lua's math.random.
local state = 12345
local function rnd(n)
  state = (state * 1103515245 + 12345) % 2147483648
  return state % n + 1
end
for i = #seq, 2, -1 do
  local j = rnd(i)
  seq[i], seq[j] = seq[j], seq[i]
end

local pos = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 499)
  threads = threads + 1
end

function init(args)
  pos = offset or 0
end

function request()
  pos = pos % #seq + 1
  return wrk.format("GET", seq[pos])
end

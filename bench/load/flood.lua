-- wrk script: every request carries a token naming a random `kid` that no key set holds.
-- TOKEN (a valid token) gives the payload and signature; the header is made here per request:
-- {"alg":"RS256","typ":"JWT","kid":"<16 random hex digits>"}.
local token = os.getenv("TOKEN") or error("TOKEN is not set")
local rest = token:sub((token:find(".", 1, true)))

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local digits = { math.floor(n / 262144) % 64, math.floor(n / 4096) % 64,
                     math.floor(n / 64) % 64, n % 64 }
    local count = c and 4 or (b and 3 or 2)
    for j = 1, count do
      out[#out + 1] = alphabet:sub(digits[j] + 1, digits[j] + 1)
    end
  end
  return table.concat(out)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local kid = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local header = b64url('{"alg":"RS256","typ":"JWT","kid":"' .. kid .. '"}')
  return wrk.format(nil, nil, { Authorization = "Bearer " .. header .. rest })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FLOOD requests=%d duration_us=%d rejected=%d socket_errors=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
end

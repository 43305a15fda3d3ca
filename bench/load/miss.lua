-- wrk script: every request carries the next token of TOKENS_FILE (one a line), so that no
-- token is sent twice while the run lasts no longer than the file (`pool` in the result line:
-- if `requests` exceeds it, tokens were reused and the run measured some cache hits).
local path = os.getenv("TOKENS_FILE") or error("TOKENS_FILE is not set")
local tokens = {}
for line in io.lines(path) do
  tokens[#tokens + 1] = line
end
local next_token = 0

function request()
  next_token = next_token % #tokens + 1
  return wrk.format(nil, nil, { Authorization = "Bearer " .. tokens[next_token] })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d pool=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, #tokens))
end

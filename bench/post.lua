-- wrk script for bench/run.py: POST an image-generation request, print a JSON summary.
-- Usage: wrk -t1 -c32 -d5s -s bench/post.lua URL [-- small|b64 ["Name: value" ...]]
-- The request is built once per thread (no per-request Lua), so wrk stays cheap.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"dall-e-3","prompt":"a cat","size":"1024x1024"}'

function init(args)
  if args[1] == "b64" then
    wrk.body = '{"model":"dall-e-3","prompt":"a cat","size":"1024x1024",'
      .. '"response_format":"b64_json"}'
  end
  -- Extra request headers (the cache scenario's x-portkey-config), one "Name: value" each.
  for i = 2, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,'
      .. '"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end

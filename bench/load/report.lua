-- Shared by the load scripts: the percentiles wrk's --latency table leaves out (p99.9).
local report = {}

function report.percentiles(latency)
  io.write(string.format("percentiles (ms): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end

return report

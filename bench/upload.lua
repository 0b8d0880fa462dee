-- wrk script for the upload workload: every request POSTs the same 1 MB
-- body to /upload, which answers with the length it read.
wrk.method = "POST"
wrk.path = "/upload"
wrk.body = string.rep("x", 1024 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"

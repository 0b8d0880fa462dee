package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// wrkResult is what one `wrk --latency` run printed.
type wrkResult struct {
	Requests  int64
	Seconds   float64 // the duration wrk measured over
	ReqPerSec float64
	P50Ms     float64
	P99Ms     float64
	Non2xx    int64 // "Non-2xx or 3xx responses"
	Connect   int64 // socket errors, by kind
	Read      int64
	Write     int64
	Timeout   int64
}

var (
	reDone     = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m|h)`)
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reP50      = regexp.MustCompile(`(?m)^\s+50(?:\.000)?%\s+(\S+)`)
	reP99      = regexp.MustCompile(`(?m)^\s+99(?:\.000)?%\s+(\S+)`)
	reSockErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reDur      = regexp.MustCompile(`^([\d.]+)(us|ms|s|m|h)$`)
)

// parseWrk reads wrk's text output. The latency distribution must be
// there (--latency): p50 and p99 come from it.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := reDone.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New(`wrk output: no "N requests in T" line`)
	}
	r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	secs, err := durationMs(m[2] + m[3])
	if err != nil {
		return r, err
	}
	r.Seconds = secs / 1000
	if m = reRPS.FindStringSubmatch(out); m == nil {
		return r, errors.New(`wrk output: no "Requests/sec" line`)
	}
	r.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	for _, q := range []struct {
		re  *regexp.Regexp
		dst *float64
		pct string
	}{{reP50, &r.P50Ms, "50%"}, {reP99, &r.P99Ms, "99%"}} {
		m = q.re.FindStringSubmatch(out)
		if m == nil {
			if r.Requests == 0 {
				continue // no request finished: wrk prints no distribution
			}
			return r, fmt.Errorf("wrk output: no %s latency (run wrk with --latency)", q.pct)
		}
		if *q.dst, err = durationMs(m[1]); err != nil {
			return r, err
		}
	}
	if m = reSockErrs.FindStringSubmatch(out); m != nil {
		for i, dst := range []*int64{&r.Connect, &r.Read, &r.Write, &r.Timeout} {
			*dst, _ = strconv.ParseInt(m[i+1], 10, 64)
		}
	}
	if m = reNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// durationMs converts wrk's "1.23ms", "456.00us", "2.01s", "1.50m" to
// milliseconds.
func durationMs(s string) (float64, error) {
	m := reDur.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("wrk output: bad duration %q", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("wrk output: bad duration %q", s)
	}
	scale := map[string]float64{"us": 0.001, "ms": 1, "s": 1000, "m": 60000, "h": 3600000}[m[2]]
	return v * scale, nil
}

// wrkArgs is the command line for one measurement. wrk takes whole
// seconds only.
func wrkArgs(conns, seconds int, script, url string) []string {
	args := []string{"-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", seconds),
		"--latency", "--timeout", "10s"}
	if script != "" {
		args = append(args, "-s", script)
	}
	return append(args, url)
}

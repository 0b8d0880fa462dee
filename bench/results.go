package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Results is everything one benchmark run measured; results.json holds it
// and the report is built from it alone.
type Results struct {
	Meta      Meta       `json:"meta"`
	Samples   []Sample   `json:"samples"`
	Baselines []Baseline `json:"baselines"`
}

// Meta describes the run: when, where, with what and how.
type Meta struct {
	Started  string            `json:"started"`
	Finished string            `json:"finished,omitempty"`
	Command  string            `json:"command"`
	Machine  map[string]string `json:"machine"`
	Versions map[string]string `json:"versions"`
	Repeats  int               `json:"repeats"`
	Seconds  int               `json:"seconds"` // per measurement
	Warmup   int               `json:"warmup_seconds"`
	Servers  []string          `json:"servers"`
	Quick    bool              `json:"quick,omitempty"`
}

// Sample is one wrk measurement of one server.
type Sample struct {
	Repeat   int    `json:"repeat"`
	Server   string `json:"server"`
	Workload string `json:"workload"` // a workload's ID, e.g. "hello-c32"

	Requests  int64   `json:"requests"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Non2xx    int64   `json:"non2xx"`
	Connect   int64   `json:"err_connect"`
	Read      int64   `json:"err_read"`
	Write     int64   `json:"err_write"`
	Timeout   int64   `json:"err_timeout"`

	// CPU seconds during the measurement.
	FrontCPU  float64 `json:"front_cpu_s"`
	WorkerCPU float64 `json:"worker_cpu_s"`
	WrkCPU    float64 `json:"wrk_cpu_s"`
	HostCPU   float64 `json:"host_busy_cpu_s"` // the whole host, wrk and other tenants included
	WallSecs  float64 `json:"wall_s"`

	// Procs is every process of the server with its peak RSS and PSS
	// during the measurement (sampled every 500 ms).
	Procs []ProcMem `json:"procs"`
}

// Errors is every failed request: non-2xx answers and socket errors.
func (s Sample) Errors() int64 { return s.Non2xx + s.Connect + s.Read + s.Write + s.Timeout }

// ProcMem is one process's memory in kB.
type ProcMem struct {
	PID   int    `json:"pid"`
	Role  string `json:"role"`
	Name  string `json:"name"`
	RSSKB int64  `json:"rss_kb"`
	PSSKB int64  `json:"pss_kb"`
}

// Baseline is every process of a server at rest: started, warmed up,
// before the first measurement.
type Baseline struct {
	Repeat int       `json:"repeat"`
	Server string    `json:"server"`
	Site   string    `json:"site"`
	Procs  []ProcMem `json:"procs"`
}

func readResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// save writes the results atomically, so that an interrupted run leaves the
// last complete state behind.
func (r *Results) save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

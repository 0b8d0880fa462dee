package daemon

import (
	"encoding/json"
	"os/exec"
	"testing"
)

// TestWorkerUnit runs the worker's own unit tests (daemon/worker/test_worker.py,
// standard-library unittest over a socketpair).
func TestWorkerUnit(t *testing.T) {
	requirePython(t)
	out, err := exec.Command("python3", "-W", "error::ResourceWarning", "-m", "unittest", "-v", "worker/test_worker.py").CombinedOutput()
	if err != nil {
		t.Fatalf("worker unit tests: %v\n%s", err, out)
	}
}

// TestWorkerConstants: the frame types, flags, header size and protocol
// version of worker.py are Go's.
func TestWorkerConstants(t *testing.T) {
	requirePython(t)
	script := `import importlib.util, json
spec = importlib.util.spec_from_file_location("w", "worker/worker.py")
w = importlib.util.module_from_spec(spec)
spec.loader.exec_module(w)
print(json.dumps({k: getattr(w, k) for k in dir(w) if k[:2] in ("T_", "F_") or k in ("PROTOCOL", "HDR_LEN")}))`
	out, err := exec.Command("python3", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	var py map[string]int
	if err := json.Unmarshal(out, &py); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]int{
		"T_HEAD": int(frameHead), "T_BODY": int(frameBody), "T_END": int(frameEnd), "T_CANCEL": int(frameCancel),
		"T_READ": int(frameRead), "T_START": int(frameStart), "T_DATA": int(frameData), "T_FINISH": int(frameFinish),
		"T_ERROR": int(frameError), "T_RELOAD": int(frameReload),
		"F_RELOADING": headReloading, "F_NOBODY": headNoBody, "F_MTIME": headMtime, "F_HOOK": headHook, "F_SPLIT": headSplit, "F_WINDOW": readWindow, "F_MORE": bodyMore,
		"PROTOCOL": protocolVersion, "HDR_LEN": frameHeaderLen,
	}
	for k, v := range want {
		if py[k] != v {
			t.Errorf("worker.py %s = %d, Go has %d", k, py[k], v)
		}
	}
	for k := range py {
		if _, ok := want[k]; !ok {
			t.Errorf("worker.py has %s = %d, which Go does not define", k, py[k])
		}
	}
}

package daemon

import (
	"slices"
	"testing"
)

func TestWorkerEnvServerSettings(t *testing.T) {
	base := []string{"PATH=/usr/bin", "PYTHONOPTIMIZE=1", "PYTHON_EGG_CACHE=/old", "LANG=C"}
	got := workerEnv(base, &Spec{PythonOptimize: 2, PythonEggs: "/srv/eggs", Lang: "en_US.UTF-8"}, "/usr/bin/python3")
	want := []string{"PATH=/usr/bin", "PYTHONEXECUTABLE=/usr/bin/python3", "LANG=en_US.UTF-8", "PYTHON_EGG_CACHE=/srv/eggs", "PYTHONOPTIMIZE=2"}
	if !slices.Equal(got, want) {
		t.Errorf("workerEnv = %q, want %q", got, want)
	}
	// Unset settings leave the environment's values alone.
	got = workerEnv(base, &Spec{}, "/usr/bin/python3")
	if want := append(slices.Clone(base), "PYTHONEXECUTABLE=/usr/bin/python3"); !slices.Equal(got, want) {
		t.Errorf("workerEnv = %q, want %q", got, want)
	}
}

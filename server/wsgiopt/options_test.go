package wsgiopt

import (
	"slices"
	"testing"
)

// Every option mod_wsgi knows has a setter, and every setter an option.
func TestDaemonOptionTable(t *testing.T) {
	for _, name := range Names {
		if setters[name] == nil {
			t.Errorf("option %s has no setter", name)
		}
	}
	for name := range setters {
		if !slices.Contains(Names, name) {
			t.Errorf("setter %s is not a known option", name)
		}
	}
}

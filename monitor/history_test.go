package monitor

import (
	"os"
	"testing"
)

func TestReadShares(t *testing.T) {
	pss, uss, ok := readShares(int32(os.Getpid()))
	st, _ := readProc(int32(os.Getpid()))
	if !ok || pss <= 0 || uss <= 0 || uss > st.rss || pss > st.rss {
		t.Errorf("pss %d uss %d ok %v, rss %d", pss, uss, ok, st.rss)
	}
}

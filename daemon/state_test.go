package daemon

import "testing"

// The process state machine moves forward only and never out of exited.
func TestProcStateMoves(t *testing.T) {
	allowed := map[[2]procState]bool{
		{stStarting, stReady}:    true,
		{stStarting, stDraining}: true,
		{stStarting, stStopping}: true,
		{stStarting, stExited}:   true,
		{stReady, stDraining}:    true,
		{stReady, stStopping}:    true,
		{stReady, stExited}:      true,
		{stDraining, stStopping}: true,
		{stDraining, stExited}:   true,
		{stStopping, stExited}:   true,
	}
	for from := stStarting; from <= stExited; from++ {
		for to := stStarting; to <= stExited; to++ {
			want := from == to || allowed[[2]procState{from, to}]
			if got := from.canMove(to); got != want {
				t.Errorf("%s -> %s: canMove = %v, want %v", from, to, got, want)
			}
		}
	}
}

// The reply level only rises, and C is reported due exactly once.
func TestExchStateReply(t *testing.T) {
	var s exchState
	if s.discarding() || s.cancelled() || s.rejected() || s.answered() {
		t.Fatalf("fresh state: %+v", s)
	}
	s.dropRest()
	if !s.discarding() || s.cancelled() {
		t.Fatalf("after dropRest: %+v", s)
	}
	if !s.cancel() {
		t.Fatal("first cancel does not ask for C")
	}
	if s.cancel() || s.reject() {
		t.Fatal("C asked for twice")
	}
	if !s.rejected() || !s.cancelled() || !s.discarding() || !s.answered() {
		t.Fatalf("after reject: %+v", s)
	}
	s.dropRest()
	if !s.rejected() {
		t.Fatal("dropRest lowered the reply")
	}

	var r exchState
	if !r.reject() || !r.cancelled() {
		t.Fatalf("reject first: C not due or not cancelled: %+v", r)
	}
	r.headSent = true
	if !r.answered() || !r.rejected() {
		t.Fatalf("head after an error answer: %+v", r)
	}
}

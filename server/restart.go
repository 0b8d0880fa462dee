package server

// RestartGroups replaces the processes of every started group gracefully,
// as maximum-requests does (the quick start's --reload-on-changes).
func (f *Frontend) RestartGroups(reason string) {
	f.mu.Lock()
	groups := f.sortedGroups()
	f.mu.Unlock()
	for _, g := range groups {
		g.Restart(reason)
	}
}

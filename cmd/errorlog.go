package cmd

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/appserver/appserver/server/config"
)

// errorLog is where serve logs: the main server's ErrorLog file, else
// stderr (also for piped and syslog targets, which appserver does not
// run). A reload opens the file again, so that logrotate can move it.
type errorLog struct {
	mu   sync.Mutex
	path string   // "" = stderr
	f    *os.File // nil = stderr
}

func errorLogPath(cfg *config.Config) string {
	if cfg.Main == nil {
		return ""
	}
	t := cfg.Main.ErrorLog
	if strings.HasPrefix(t, "|") || strings.HasPrefix(t, "syslog") {
		return ""
	}
	return t
}

func openErrorLog(cfg *config.Config) (*errorLog, error) {
	l := &errorLog{}
	if err := l.reopen(cfg); err != nil {
		return nil, err
	}
	return l, nil
}

// reopen points the log at cfg's ErrorLog, opening the file anew; on an
// error the log goes on where it was.
func (l *errorLog) reopen(cfg *config.Config) error {
	path := errorLogPath(cfg)
	var f *os.File
	if path != "" {
		var err error
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			return fmt.Errorf("ErrorLog: %w", err)
		}
	}
	l.mu.Lock()
	old := l.f
	l.path, l.f = path, f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (l *errorLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return os.Stderr.Write(p)
	}
	return l.f.Write(p)
}

// Close closes the file, if any; later writes go to stderr.
func (l *errorLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

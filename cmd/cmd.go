// Package cmd is appserver's command line: serve, configtest, routes,
// status and profile (through the running server's control socket).
package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1 // config errors, failed start
	ExitUsage  = 2
)

// exitError carries an exit code up to Main, the one place that exits.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	// A write to a closed stdout or stderr (a pipe whose reader went away)
	// raises SIGPIPE, which kills a Go program on fds 1 and 2 unless it is
	// caught; the write then just fails. Caught rather than ignored: an
	// ignored SIGPIPE would be inherited by the workers and what they run.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "appserver:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "appserver:", err)
	return ExitUsage
}

func newRoot() *cobra.Command {
	var k string
	var cf controlFlags
	root := &cobra.Command{
		Use:           "appserver",
		Short:         "Serve Python WSGI apps in mod_wsgi-style daemon process groups from Apache configs",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if k == "" {
				return c.Help()
			}
			return runApachectl(c, k, &cf)
		},
	}
	root.Flags().StringVarP(&k, "k", "k", "", "apachectl-style action on the server running -f FILE: graceful or restart (reload), stop or graceful-stop")
	cf.register(root)
	root.SetVersionTemplate("appserver {{.Version}}\n")
	root.AddCommand(newServeCmd(), newConfigtestCmd(), newRoutesCmd(), newStatusCmd(), newProfileCmd(),
		newReloadCmd(), newStopCmd(), newAdviseCmd(), newVersionCmd())
	root.AddCommand(newManCmd(root))
	return root
}

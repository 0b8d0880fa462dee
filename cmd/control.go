package cmd

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// reload and stop talk to the running server through its control socket,
// as status does; -k is apachectl's spelling of them.

func newReloadCmd() *cobra.Command {
	var cf controlFlags
	c := &cobra.Command{
		Use:   "reload (-f FILE | --socket PATH)",
		Short: "Make the appserver serving FILE read its config again, without dropping a request",
		Long: `Asks the appserver that serves FILE (through its control socket) to read its
config again, as SIGHUP does. A config with errors is refused: the errors are
printed, this command exits 1, and the server goes on with the config in
service. docs/serving.md ("Reload") says what a reload changes.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return controlReload(c, &cf)
		},
	}
	cf.register(c)
	cf.brokenOK = true
	return c
}

func controlReload(c *cobra.Command, cf *controlFlags) error {
	cl, err := newControlClient(cf)
	if err != nil {
		return err
	}
	if _, err := cl.do(http.MethodPost, "/reload"); err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.err != nil && !strings.HasPrefix(ee.err.Error(), "no appserver") {
			return &exitError{code: ExitFailed, err: fmt.Errorf("reload refused; still serving the config in service:\n%v", ee.err)}
		}
		return err
	}
	fmt.Fprintln(c.OutOrStdout(), "reloaded")
	return nil
}

func newStopCmd() *cobra.Command {
	var cf controlFlags
	var now bool
	c := &cobra.Command{
		Use:   "stop (-f FILE | --socket PATH) [--now]",
		Short: "Stop the appserver serving FILE, as SIGTERM does, and wait until it has stopped",
		Long: `Asks the appserver that serves FILE (through its control socket) to stop as
SIGTERM does: requests in flight finish within the stop grace
(GracefulShutdownTimeout, default 30 s), then the workers stop. --now stops at
once, cutting the requests in flight. Waits until the server is gone.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return controlStop(c, &cf, now)
		},
	}
	cf.register(c)
	c.Flags().BoolVar(&now, "now", false, "stop at once: kill the workers, cut the requests in flight")
	return c
}

func controlStop(c *cobra.Command, cf *controlFlags, now bool) error {
	cl, err := newControlClient(cf)
	if err != nil {
		return err
	}
	target := "/stop"
	if now {
		target += "?now=1"
	}
	body, err := cl.do(http.MethodPost, target)
	if err != nil {
		return err
	}
	var pid int
	if _, err := fmt.Sscanf(string(body), "stopping %d", &pid); err != nil || pid <= 0 {
		return &exitError{code: ExitFailed, err: fmt.Errorf("%s: unexpected answer %q", cl.path, body)}
	}
	// Wait for the process itself: it closes the socket before its
	// workers have stopped.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			fmt.Fprintln(c.OutOrStdout(), "stopped")
			return nil
		}
		if time.Now().After(deadline) {
			return &exitError{code: ExitFailed, err: fmt.Errorf("appserver (pid %d) is still stopping after 2 minutes", pid)}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apachectlSignals are the -k actions: what apachectl users type.
var apachectlSignals = map[string]string{
	"graceful": "reload", "restart": "reload", "stop": "stop", "graceful-stop": "stop",
}

// runApachectl does `appserver -k ACTION -f FILE`.
func runApachectl(c *cobra.Command, action string, cf *controlFlags) error {
	switch apachectlSignals[action] {
	case "reload":
		cf.brokenOK = true
		return controlReload(c, cf)
	case "stop":
		return controlStop(c, cf, false)
	}
	if action == "start" {
		return &exitError{code: ExitUsage, err: errors.New("-k start: appserver runs in the foreground: appserver serve -f FILE (under systemd: systemctl start appserver)")}
	}
	return &exitError{code: ExitUsage, err: fmt.Errorf("-k %s: the actions are graceful, restart (both reload without dropping a request), stop and graceful-stop", action)}
}

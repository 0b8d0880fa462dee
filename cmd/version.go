package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// version is the module version the binary was built from (go install
// ...@vX), else the VCS revision go build stamped, else "devel".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
		if rev != "" {
			v += " " + rev[:min(12, len(rev))]
			if dirty {
				v += "+dirty"
			}
		}
	}
	return fmt.Sprintf("%s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print appserver's version",
		Args:  cobra.NoArgs,
		Run: func(c *cobra.Command, _ []string) {
			fmt.Fprintln(c.OutOrStdout(), "appserver", version())
		},
	}
}

func newManCmd(root *cobra.Command) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "man --dir DIR",
		Short: "Write appserver's man pages (appserver.1, appserver-serve.1, ...) to DIR",
		Long: `Writes one man page per command to DIR, for /usr/local/share/man/man1:

  appserver man --dir /usr/local/share/man/man1 && man appserver-serve`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			header := &doc.GenManHeader{Title: "APPSERVER", Section: "1", Source: "appserver " + version(), Manual: "appserver manual"}
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			fmt.Fprintln(c.OutOrStdout(), "man pages written to", filepath.Clean(dir))
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "the folder to write the pages to (created if missing)")
	_ = c.MarkFlagRequired("dir")
	return c
}

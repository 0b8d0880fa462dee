package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
	"github.com/spf13/cobra"
)

// loadFlags are the flags every command that reads a config shares.
type loadFlags struct {
	file         string
	defines      []string
	noHostChecks bool
	envvars      string
}

func (f *loadFlags) register(c *cobra.Command, fileRequired bool) {
	help := "the Apache config file to read"
	if fileRequired {
		help += " (required)"
	}
	c.Flags().StringVarP(&f.file, "file", "f", "", help)
	c.Flags().StringArrayVarP(&f.defines, "define", "D", nil, "define NAME for <IfDefine NAME>, like httpd -D (repeatable)")
	c.Flags().BoolVar(&f.noHostChecks, "no-host-checks", false, "report problems of this host (users, files, folders) as warnings, to check a config away from its host")
	c.Flags().StringVar(&f.envvars, "envvars", "", "an apache2ctl envvars file to take ${VAR}s from, sourced as apache2ctl does (default: the envvars file next to the config, as in Debian's /etc/apache2; \"none\" reads none)")
	if fileRequired {
		_ = c.MarkFlagRequired("file")
	}
}

func (f *loadFlags) load() (*config.Config, error) {
	envvars := f.envvars
	switch envvars {
	case "":
		envvars = load.FindEnvvars(f.file)
	case "none":
		envvars = ""
	}
	return load.File(f.file, load.Options{Defines: f.defines, NoHostChecks: f.noHostChecks, Envvars: envvars})
}

func newConfigtestCmd() *cobra.Command {
	var lf loadFlags
	var strict, asJSON, checkScripts bool
	c := &cobra.Command{
		Use:   "configtest -f FILE",
		Short: "Check a config as apachectl configtest does, and lint it",
		Long: `Reads FILE and everything it includes, checks every directive, and prints
"Syntax OK" (exit 0) or every error as FILE:LINE:COL: message with the line and a
caret (exit 1). Warnings (ignored directives, access rules that answer 403
because appserver cannot evaluate them ("denies"), lint, host problems under
--no-host-checks) are printed too and change the exit code only with --strict.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := lf.load()
			var warnings []config.Warning
			if cfg != nil {
				warnings = cfg.Warnings
			}
			errs := asErrorList(err)
			if err != nil && errs == nil {
				return &exitError{code: ExitFailed, err: err}
			}
			if err == nil && !lf.noHostChecks {
				// What serve checks before it starts, so that the two agree.
				if _, err := server.Listeners(cfg); err != nil {
					errs = append(errs, asErrorList(err)...)
				}
				listenErrs, listenWarnings := server.ListenProblems(cfg)
				errs = append(errs, listenErrs...)
				warnings = append(warnings, listenWarnings...)
			}
			if err == nil && checkScripts && len(errs) == 0 {
				log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError}))
				checked, unchecked, scriptErrs := server.CheckScripts(context.Background(), cfg, server.FrontendOptions{Logger: log})
				errs = append(errs, scriptErrs...)
				fmt.Fprintf(c.ErrOrStderr(), "--check-scripts: %d script(s) imported in their daemon groups", checked)
				if unchecked > 0 {
					fmt.Fprintf(c.ErrOrStderr(), ", %d of the embedded group not checked", unchecked)
				}
				fmt.Fprintln(c.ErrOrStderr())
			}
			failed := len(errs) > 0 || (strict && len(warnings) > 0)
			if asJSON {
				writeConfigtestJSON(c.OutOrStdout(), errs, warnings, !failed)
			} else {
				writeConfigtestText(c.ErrOrStderr(), errs, warnings, strict, !failed)
			}
			if failed {
				return &exitError{code: ExitFailed}
			}
			return nil
		},
	}
	lf.register(c, true)
	c.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors (exit 1 if there are any)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object on stdout")
	c.Flags().BoolVar(&checkScripts, "check-scripts", false, "also start one worker of each daemon group with its WSGI scripts imported: report a script that does not import or lacks its callable")
	return c
}

func asErrorList(err error) parser.ErrorList {
	if err == nil {
		return nil
	}
	var list parser.ErrorList
	if errors.As(err, &list) {
		return list
	}
	var one *parser.Error
	if errors.As(err, &one) {
		return parser.ErrorList{one}
	}
	return nil
}

func writeConfigtestText(w io.Writer, errs parser.ErrorList, warnings []config.Warning, strict, ok bool) {
	src := newSourceCache()
	for _, e := range errs {
		fmt.Fprintf(w, "%s\n", e.Error())
		for i := len(e.IncludedFrom) - 1; i >= 0; i-- {
			p := e.IncludedFrom[i]
			fmt.Fprintf(w, "\tincluded from %s\n", parser.FormatPos(p))
		}
		src.caret(w, e.Pos)
	}
	label := "warning"
	if strict {
		label = "error (--strict)"
	}
	for _, wn := range warnings {
		kind := ""
		if wn.Kind != "" {
			kind = " [" + string(wn.Kind) + "]"
		}
		fmt.Fprintf(w, "%s: %s%s: %s\n", parser.FormatPos(wn.Pos), label, kind, wn.Msg)
		src.caret(w, wn.Pos)
	}
	if len(warnings) > 0 {
		fmt.Fprintln(w, config.WarningCounts(warnings))
	}
	if ok {
		fmt.Fprintln(w, "Syntax OK")
		return
	}
	n := len(errs)
	if strict {
		n += len(warnings)
	}
	fmt.Fprintf(w, "%d error(s)\n", n)
}

type jsonProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message"`
}

func writeConfigtestJSON(w io.Writer, errs parser.ErrorList, warnings []config.Warning, ok bool) {
	out := struct {
		OK       bool          `json:"ok"`
		Errors   []jsonProblem `json:"errors"`
		Warnings []jsonProblem `json:"warnings"`
	}{OK: ok, Errors: []jsonProblem{}, Warnings: []jsonProblem{}}
	for _, e := range errs {
		out.Errors = append(out.Errors, jsonProblem{e.Pos.Filename, e.Pos.Line, e.Pos.Column, "", e.Msg})
	}
	for _, wn := range warnings {
		out.Warnings = append(out.Warnings, jsonProblem{wn.Pos.Filename, wn.Pos.Line, wn.Pos.Column, string(wn.Kind), wn.Msg})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// sourceCache shows the offending line of a file under a message.
type sourceCache map[string][]string

func newSourceCache() sourceCache { return sourceCache{} }

func (s sourceCache) caret(w io.Writer, p parser.Position) {
	if p.Filename == "" || p.Line <= 0 {
		return
	}
	lines, ok := s[p.Filename]
	if !ok {
		data, err := os.ReadFile(p.Filename)
		if err == nil {
			lines = strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
		}
		s[p.Filename] = lines
	}
	if p.Line > len(lines) {
		return
	}
	line := lines[p.Line-1]
	col := p.Column
	if col < 1 {
		col = 1
	}
	// Keep tabs so the caret lines up under the same characters.
	var pad strings.Builder
	for i := 0; i < col-1 && i < len(line); i++ {
		if line[i] == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	fmt.Fprintf(w, "\t%s\n\t%s^\n", line, pad.String())
}

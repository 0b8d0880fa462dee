// Package appserver holds what the binary ships besides code: the demo site
// that `appserver serve` runs when given no arguments.
package appserver

import "embed"

// Demo is testdata/demo: the demo WSGI app and its partitioned config.
//
//go:embed testdata/demo/wsgi.py testdata/demo/site.conf
var Demo embed.FS

// Command appserver serves Python WSGI apps in mod_wsgi-style daemon process
// groups, configured by the Apache httpd configs they already run under.
package main

import (
	"os"

	"github.com/appserver/appserver/cmd"
)

func main() { os.Exit(cmd.Main(os.Args[1:])) }

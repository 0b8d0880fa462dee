// Package load reads an httpd.conf tree (package parser) into a
// config.Config as httpd and mod_wsgi would: every directive appserver
// implements is checked where httpd allows it and typed into the model,
// sections and virtual hosts are merged in httpd's order, the directives it
// ignores are warned about with what they cost (package modules), and the
// result is linted for mistakes Apache would not report.
package load

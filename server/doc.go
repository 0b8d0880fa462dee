// Package server is appserver's HTTP front end: it binds the Listen
// addresses, starts the daemon process groups of a config, routes each
// request with a route.Table, builds the WSGI environ, hands the request to
// its group (or serves a static file), and writes the access log.
package server

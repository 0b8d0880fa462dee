// Package route answers "what would Apache + mod_wsgi do with this
// request": Compile turns a config.Config into an immutable Table, and
// Table.Route normalises the URL, selects the virtual host, walks the
// sections in httpd's merge order, maps the URL to a file or WSGI script,
// and says which handler, group and environment the request gets.
package route

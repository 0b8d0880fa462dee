// Package modules is what appserver knows of Apache's modules: the places
// httpd allows a directive (Override), the real directives it recognises
// but does not implement and what each costs, and the modules <IfModule>
// sees as loaded (Provided, Static).
package modules

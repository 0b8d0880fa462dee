package modules

import (
	"strings"
	"sync"
)

// Tuning reports whether ignoring the named directive changes nothing a
// client or a working application sees: it sizes or tunes Apache's own
// processes, its logs and core dumps, or mod_wsgi's embedding of Python,
// which appserver's own daemon groups replace. Such directives get a
// "tuning" warning instead of "ignored", so that configtest can tell what
// still changes behaviour (docs/corpus.md counts those).
func Tuning(name string) bool {
	n := strings.ToLower(name)
	if tuningNames[n] {
		return true
	}
	return tuningModules[ignoredModule()[n]]
}

// ignoredModule maps each ignored directive (lower case) to its module.
var ignoredModule = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(IgnoredTable))
	for i := range IgnoredTable {
		m[strings.ToLower(IgnoredTable[i].Name)] = IgnoredTable[i].module
	}
	return m
})

// tuningModules are modules whose every directive is tuning: Apache's MPMs.
var tuningModules = map[string]bool{"event.c": true, "prefork.c": true, "worker.c": true}

var tuningNames = map[string]bool{
	// core and logging
	"errorlogformat": true, "coredumpdirectory": true, "bufferedlogs": true, "extendedstatus": true,
	"maxrequestsperchild": true, "maxconnectionsperchild": true, "maxmemfree": true, "threadstacksize": true,
	"enablemmap": true, "enablesendfile": true, "mutex": true,
	// mod_wsgi settings whose job appserver's workers do themselves
	"wsgisocketrotation": true, "wsgilazyinitialization": true, "wsgiverbosedebugging": true,
	"wsgidestroyinterpreter": true, "wsgirestrictstdin": true, "wsgirestrictstdout": true,
	"wsgirestrictsignal": true, "wsgicasesensitivity": true, "wsgiservermetrics": true,
	"wsgiacceptmutex": true, "wsgidontwritebytecode": true,
}

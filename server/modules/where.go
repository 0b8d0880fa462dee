package modules

// override is httpd's req_override: the places a directive may appear.
type Override uint16

const (
	OrLimit Override = 1 << iota
	OrOptions
	OrFileInfo
	OrAuthCfg
	orIndexes
	RsrcConf   // main server and <VirtualHost>
	AccessConf // <Directory>, <Location>, <Files> and their Match forms, <If>

	OrAll = OrLimit | OrOptions | OrFileInfo | OrAuthCfg | orIndexes
	// serverOverride is what httpd grants at server and vhost level:
	// everything but AuthConfig and Limit (config.c ap_process_config_tree).
	ServerOverride = (RsrcConf | OrAll) &^ (OrAuthCfg | OrLimit)
	DirOverride    = AccessConf | OrAll
	Anywhere       = RsrcConf | AccessConf | OrAll
)

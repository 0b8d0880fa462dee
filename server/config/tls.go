package config

import "github.com/appserver/appserver/parser"

// TLSOptions are a server's mod_ssl settings beyond SSLEngine and the
// certificate files, as the loader mapped them onto Go's crypto/tls.
// Unset fields inherit from the main server (mod_ssl's server merge).
type TLSOptions struct {
	// MinVersion and MaxVersion are SSLProtocol mapped to tls.VersionTLS*
	// (0 = not set).
	MinVersion, MaxVersion uint16
	ProtocolSet            bool
	// CipherSuites is SSLCipherSuite's TLS 1.2 list in OpenSSL's order
	// (nil = not set: Go's defaults).
	CipherSuites    []uint16
	CipherSuitesSet bool
	// HonorCipherOrder is SSLHonorCipherOrder (Go always prefers the
	// server's order for TLS 1.2 when it has a list; nil = not set).
	HonorCipherOrder *bool
	// ChainFile is SSLCertificateChainFile: more certificates sent after
	// the server's own.
	ChainFile string
	// VerifyClient is SSLVerifyClient at server level: "", "none",
	// "optional", "require" or "optional_no_ca".
	VerifyClient    string
	VerifyClientPos parser.Position
	VerifyDepth     *int
	// CACertificateFile and CACertificatePath hold the CAs client
	// certificates are verified against.
	CACertificateFile string
	CACertificatePath string
}

// MergeTLS returns child's settings with the unset ones taken from parent.
func MergeTLS(parent, child *TLSOptions) *TLSOptions {
	if parent == nil {
		return child
	}
	if child == nil {
		return parent
	}
	out := *child
	if !out.ProtocolSet {
		out.MinVersion, out.MaxVersion, out.ProtocolSet = parent.MinVersion, parent.MaxVersion, parent.ProtocolSet
	}
	if !out.CipherSuitesSet {
		out.CipherSuites, out.CipherSuitesSet = parent.CipherSuites, parent.CipherSuitesSet
	}
	if out.HonorCipherOrder == nil {
		out.HonorCipherOrder = parent.HonorCipherOrder
	}
	if out.ChainFile == "" {
		out.ChainFile = parent.ChainFile
	}
	if out.VerifyClient == "" {
		out.VerifyClient, out.VerifyClientPos = parent.VerifyClient, parent.VerifyClientPos
	}
	if out.VerifyDepth == nil {
		out.VerifyDepth = parent.VerifyDepth
	}
	if out.CACertificateFile == "" {
		out.CACertificateFile = parent.CACertificateFile
	}
	if out.CACertificatePath == "" {
		out.CACertificatePath = parent.CACertificatePath
	}
	return &out
}

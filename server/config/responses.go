package config

import "strings"

// Responses holds the per-directory settings that act on the way out:
// core's ErrorDocument, AddDefaultCharset, ForceType and SetOutputFilter,
// mod_expires, mod_filter's AddOutputFilterByType, and mod_mime's AddType,
// AddCharset, AddOutputFilter and RemoveOutputFilter. DirConf.Responses is
// nil when a section sets none of them, so a request of a site that uses
// none costs one nil check.
type Responses struct {
	// ErrorDocuments maps a status to its document as httpd stores it: a
	// string body starts with '"', a local URL with '/', "default" undoes a
	// parent's, anything else is an external URL.
	ErrorDocuments map[int]string

	ExpiresActive *bool
	// ExpiresDefault is nil when not set here.
	ExpiresDefault *ExpiresCode
	// ExpiresByType maps a lower-cased MIME type (or "type/*") to its code.
	ExpiresByType map[string]*ExpiresCode

	// DeflateByType lists the lower-cased types AddOutputFilterByType
	// DEFLATE names (mod_filter appends a child's to its parent's).
	DeflateByType []string
	// SetOutputFilter is the filter list as written ("" = not set); only
	// DEFLATE has an effect.
	SetOutputFilter string
	// OutputFilters maps a lower-cased extension to AddOutputFilter's list;
	// "" is RemoveOutputFilter (removes a parent's).
	OutputFilters map[string]string

	// Types and Charsets map lower-cased extensions (AddType, AddCharset).
	Types    map[string]string
	Charsets map[string]string
	// DefaultCharset is AddDefaultCharset: "" not set, "Off", or a charset.
	DefaultCharset string
	// ForceType is "" (not set), "none" (reset) or a MIME type.
	ForceType string
}

// ExpiresCode is a parsed mod_expires time: from the access time ('A') or
// the file's modification time ('M'), plus Seconds.
type ExpiresCode struct {
	Base    byte // 'A' or 'M'
	Seconds int64
}

// ExpiresFor returns the code for a response's Content-Type: ExpiresByType
// for the type without parameters, then its "type/*", then ExpiresDefault;
// nil when ExpiresActive is not On or nothing applies.
func (r *Responses) ExpiresFor(contentType string) *ExpiresCode {
	if r == nil || r.ExpiresActive == nil || !*r.ExpiresActive {
		return nil
	}
	if len(r.ExpiresByType) > 0 && contentType != "" {
		t := contentType
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		t = strings.ToLower(strings.TrimSpace(t))
		if c := r.ExpiresByType[t]; c != nil {
			return c
		}
		if i := strings.IndexByte(t, '/'); i >= 0 {
			if c := r.ExpiresByType[t[:i]+"/*"]; c != nil {
				return c
			}
		}
	}
	return r.ExpiresDefault
}

// mergeResponses merges child over parent as the modules do: single values
// and ErrorDocument (per status), AddType, AddCharset, AddOutputFilter (per
// extension) and ExpiresByType (per type) are the child's where it sets
// them; AddOutputFilterByType types accumulate.
func mergeResponses(parent, child *Responses) *Responses {
	if child == nil {
		return parent
	}
	if parent == nil {
		return child
	}
	out := *parent
	out.ErrorDocuments = mergeMap(parent.ErrorDocuments, child.ErrorDocuments)
	if child.ExpiresActive != nil {
		out.ExpiresActive = child.ExpiresActive
	}
	if child.ExpiresDefault != nil {
		out.ExpiresDefault = child.ExpiresDefault
	}
	out.ExpiresByType = mergeMap(parent.ExpiresByType, child.ExpiresByType)
	if len(child.DeflateByType) > 0 {
		out.DeflateByType = append(append([]string(nil), parent.DeflateByType...), child.DeflateByType...)
	}
	if child.SetOutputFilter != "" {
		out.SetOutputFilter = child.SetOutputFilter
	}
	out.OutputFilters = mergeMap(parent.OutputFilters, child.OutputFilters)
	out.Types = mergeMap(parent.Types, child.Types)
	out.Charsets = mergeMap(parent.Charsets, child.Charsets)
	if child.DefaultCharset != "" {
		out.DefaultCharset = child.DefaultCharset
	}
	if child.ForceType != "" {
		out.ForceType = child.ForceType
	}
	return &out
}

// mergeMap is parent's entries overlaid with child's, in a new map (or
// one of the two when the other is empty: merged maps are never written).
func mergeMap[K comparable, V any](parent, child map[K]V) map[K]V {
	if len(child) == 0 {
		return parent
	}
	if len(parent) == 0 {
		return child
	}
	out := make(map[K]V, len(parent)+len(child))
	for k, v := range parent {
		out[k] = v
	}
	for k, v := range child {
		out[k] = v
	}
	return out
}

package settings

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/localfile"
)

// network reads how the API is reached: the endpoint, a proxy and the
// hosts that bypass it, a CA to trust.
func (p *parser) network(s *Settings, c *Config) {
	c.Scheme, c.Host = p.endpoint("ENDPOINT", s.Endpoint)
	if c.Scheme == "http" && !isLoopback(c.Host) {
		c.warnings = append(c.warnings, fmt.Sprintf("%s sends credentials-signed requests over plain http to %s; use https outside a local emulator", p.l.Key("ENDPOINT"), c.Host))
	}
	if s.RegistryEndpoint != "" {
		if scheme, host := p.endpoint("REGISTRY_ENDPOINT", s.RegistryEndpoint); host != "" {
			c.RegistryEndpoint = scheme + "://" + host
			if scheme == "http" && !isLoopback(host) {
				c.warnings = append(c.warnings, fmt.Sprintf("%s sends the registry's instance token over plain http to %s; use https outside a local emulator", p.l.Key("REGISTRY_ENDPOINT"), host))
			}
		}
	}
	c.RootCAs = p.caCert("CA_CERT", s.CACert)
	if c.Proxy = p.proxy("PROXY", s.Proxy); c.Proxy != nil {
		if pw, ok := c.Proxy.User.Password(); ok {
			c.secrets = append(c.secrets, pw)
		}
	}
	c.NoProxy = p.list("NO_PROXY", s.NoProxy, func(string) bool { return true }, "")
}

// endpoint accepts a host[:port] or an http(s) URL without a path.
func (p *parser) endpoint(key, v string) (scheme, host string) {
	scheme, host = "https", v
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
			p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), shownURL(v))
			return "", ""
		}
		return u.Scheme, u.Host
	}
	if u, err := url.Parse("https://" + v); err != nil || u.Host != v {
		p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), shownURL(v))
	}
	return scheme, host
}

// caCert reads a CA to trust besides the system's: PEM text, or a file
// holding it. It returns the system's roots with it added (never in place
// of them); nil when none is given.
func (p *parser) caCert(key, v string) *x509.CertPool {
	if v == "" {
		return nil
	}
	pem := []byte(v)
	if !strings.Contains(v, "-----BEGIN") {
		b, err := localfile.Read(v, localfile.MaxCABundle)
		if err != nil {
			p.fail("%s: neither PEM text nor a readable file: %v", p.l.Key(key), err)
			return nil
		}
		pem = b
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool() // e.g. no bundle where the system has none
	}
	if !pool.AppendCertsFromPEM(pem) {
		p.fail("%s: holds no PEM certificate", p.l.Key(key))
	}
	return pool
}

// proxy reads a proxy URL: http, https or socks5, with a host.
func (p *parser) proxy(key, v string) *url.URL {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
		// Not echoed, parsed or not: it may hold a password.
		p.fail("%s is not a proxy URL such as http://proxy.internal:3128 (its value is not shown: it may hold a password)", p.l.Key(key))
		return nil
	}
	return u
}

// shownURL is a URL-like setting as it may be printed: whatever stands
// before its last "@" (a user and password, even where the URL does not
// parse) is hidden.
func shownURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		scheme, rest = "", v
	} else {
		scheme += "://"
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return scheme + "…@" + rest[at+1:]
	}
	return v
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
